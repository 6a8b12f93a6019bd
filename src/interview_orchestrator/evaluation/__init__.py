"""Evaluation adapters: the service that runs and stores evaluations, and the evaluators it uses."""
