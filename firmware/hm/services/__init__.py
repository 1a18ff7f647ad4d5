# Built-in services of every node: `sys` (who this board is) and `bus` (the bus's state).
