"""The scenarios, in the order they run and appear in the report. A new scenario is
a module with a Scenario subclass (see base.py) and one line in this list."""

from .baseline import Baseline
from .connections import Connections
from .drain import Drain
from .latency import Latency
from .maps import Maps
from .overload import Overload
from .read_share import ReadShare
from .redis import Redis
from .slow_work import SlowWork
from .two_clients import TwoClients
from .workers import Workers

SCENARIOS = [Baseline(), TwoClients(), SlowWork(), Overload(), Workers(), ReadShare(), Maps(),
             Connections(), Drain(), Latency(), Redis()]
NAMES = [scenario.name for scenario in SCENARIOS]
