"""Role service for the group tests: says which member runs it."""


class Echo:
    def __init__(self, node):
        self._node = node

    def where(self):
        return self._node.name


def register(node):
    node.register("echo", Echo(node), "1.0", ("where",))
