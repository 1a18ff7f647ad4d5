"""The bus commands as library functions: discover, call, watch, logs. They return data;
printing is the CLI's job (harmonia.cli.discover, call, watch, logs).

    from harmonia.busops import BusOptions, connect, discover, call, watch, logs

    with connect(BusOptions(key=KEY)) as bus:            # a host node on 127.0.0.1:47770
        for peer in discover(bus):                       # list[PeerInfo]
            print(peer.name, peer.id_hex, peer.board, peer.address)
        print(call(bus, "kitchen", "sys.info"))          # by name or hex id
        for event in watch(bus, "sensor.temp", count=3):
            print(event.node, event.value)
        for line in logs(bus, ["kitchen"], lines=10):    # LogLine | LogFailure
            print(line)
"""

from .calls import CALL_TIMEOUT, call, check_method
from .errors import AmbiguousNode, BadArgument, NodeNotFound, NoLogService
from .logs import LogFailure, LogLine, logs, tail
from .nodes import DISCOVER_TIMEOUT, FIND_TIMEOUT, PeerInfo, discover, find_node, find_nodes
from .options import BusOptions, connect, load_key, open_bus
from .watch import check_topic, watch

__all__ = [
    "CALL_TIMEOUT",
    "DISCOVER_TIMEOUT",
    "FIND_TIMEOUT",
    "AmbiguousNode",
    "BadArgument",
    "BusOptions",
    "LogFailure",
    "LogLine",
    "NoLogService",
    "NodeNotFound",
    "PeerInfo",
    "call",
    "check_method",
    "check_topic",
    "connect",
    "discover",
    "find_node",
    "find_nodes",
    "load_key",
    "logs",
    "open_bus",
    "tail",
    "watch",
]
