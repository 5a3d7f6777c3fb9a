"""Imports every model module, so that ``Model.metadata`` describes the whole schema."""
from core import counters, settings, territory  # noqa: F401
from inventory import models as inventory_models  # noqa: F401
from inventory.stocktake import models as stocktake_models  # noqa: F401
from eligibility import models as eligibility_models  # noqa: F401
from distribution import models as distribution_models  # noqa: F401
from distribution.tour import models as tour_models  # noqa: F401
from reporting import summaries as reporting_summaries  # noqa: F401  (derived summaries)
from app import security  # noqa: F401  (the extended user)
from app import station_tokens  # noqa: F401  (the stations' long-lived tokens)
