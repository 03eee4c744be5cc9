"""The front desk on the web (extra ``web``): pages and a JSON API over :mod:`fcsim.recorder`.

``fcsim serve --db URL`` runs it; :func:`create_app` builds the app for any ASGI server or a
test client. No business rule lives here that the recorder does not enforce itself: the
lifecycle, the clocks and the indicators come from :mod:`fcsim.model`, :mod:`fcsim.recorder`
and :mod:`fcsim.kpi`; who may do what is the data of :mod:`fcsim.model.access`.
"""

from fcsim.web.app import create_app
from fcsim.web.context import ManualClock, WebSettings

__all__ = ["ManualClock", "WebSettings", "create_app"]
