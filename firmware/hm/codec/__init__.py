# Board-side wire codec (docs/protocol.md v1). Import the submodule you need:
# crc, cobs, mpack, frame, shape, errors. Nothing is imported here so a board
# pays only for what it uses.
