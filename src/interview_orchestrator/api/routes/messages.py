"""Routes of the service (to be filled in)."""

from fastapi import APIRouter

router = APIRouter()
