"""The web pages: the candidate's interview (``/i/{token}``), the reviewer's report
(``/r/{token}``) and the admin dashboard (``/``), served by the same app as the API.

Server-rendered Jinja2 templates (autoescaped) with a little JavaScript from ``static/``: no
build step, no CDN — everything ships in the package. No inline script: pages pass what their
script needs in ``data-`` attributes, and the Content-Security-Policy forbids anything else.
"""

from .pages import install_pages

__all__ = ["install_pages"]
