# The service bus on the board (docs/protocol.md section 8). Import the submodule you
# need; `hm.bus.node.Node` is the bus, `hm.app` starts it from /hm.json.
VERSION = "0.1.0"
