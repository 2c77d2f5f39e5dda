"""Provincial reporting. Activities (events, communication products, guidelines and their
distribution) live in ``activities.py``; reporting periods, report forms, annual reports and their
review workflow in ``reports.py``."""

from .activities import *  # noqa: F401,F403
from .reports import *  # noqa: F401,F403
