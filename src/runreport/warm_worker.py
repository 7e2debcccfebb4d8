"""Importing this module warms a long-lived worker: the libraries every RUN task uses, once.

Celery imports it when a worker starts (:data:`runreport.celery_config.CELERY_CONFIG`); the tasks the
worker forks afterwards start with these already imported. Great Expectations comes through
:func:`runreport.validation.gx_import.load` (without the parts RUN never runs)."""

import docx  # noqa: F401
import matplotlib.figure  # noqa: F401
import pandas  # noqa: F401
import sqlalchemy  # noqa: F401

from runreport.validation import gx_import
from runreport.validation.gx import quiet_logging

quiet_logging()
gx_import.load()
