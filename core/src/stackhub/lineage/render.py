"""Lineage graphs as text: a terminal tree, Marquez-style JSON, Graphviz dot, or a Mermaid flowchart."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:  # the CLI's parser reads FORMATS without loading the store
    from .store import Graph, Node

__all__ = ["FORMATS", "render"]

Format = Literal["tree", "json", "dot", "mermaid"]
FORMATS: tuple[Format, ...] = ("tree", "json", "dot", "mermaid")


def _label(graph: Graph, node: Node) -> str:
    if node.kind == "job":
        return f"job {node.name} [{node.namespace}]"
    kind = graph.types.get(node.id)
    return f"dataset {node.name} [{node.namespace}]" + (f" {kind}" if kind else "")


def tree(graph: Graph) -> str:
    """The graph as an indented tree from its root, per run: upstream lists what each node came from,
    downstream what came from it. Runs of one job with the same datasets show once; a node met again shows
    '(see above)' instead of its subtree."""
    upstream = graph.direction != "downstream"
    children: dict[str, set[str]] = {}
    for origin, destination in graph.run_edges:
        parent, child = (destination, origin) if upstream else (origin, destination)
        children.setdefault(parent, set()).add(child)
    if graph.root.kind == "job":  # a job root stands for all of its runs
        for run in [n for n in children if n.split("#")[0] == graph.root.id]:
            children.setdefault(graph.root.id, set()).update(children[run])

    def kids(node_id: str) -> list[tuple[str, str]]:
        """(display id, walk id) of the children: runs grouped by job and by their own children."""
        groups: dict[tuple[str, tuple[str, ...]], str] = {}
        for child in children.get(node_id, ()):
            groups.setdefault((child.split("#")[0], tuple(sorted(children.get(child, ())))), child)
        return sorted((display, walk) for (display, _), walk in groups.items())

    lines = [_label(graph, graph.root)]
    seen: set[object] = {graph.root.id}

    def walk(node_id: str, prefix: str) -> None:
        items = kids(node_id)
        for index, (display, child) in enumerate(items):
            last = index == len(items) - 1
            key = (display, tuple(sorted(children.get(child, ())))) if "#" in child else child
            repeated = key in seen
            label = _label(graph, graph.nodes[display]) + (" (see above)" if repeated and children.get(child) else "")
            lines.append(f"{prefix}{'└── ' if last else '├── '}{label}")
            if not repeated:
                seen.add(key)
                walk(child, prefix + ("    " if last else "│   "))

    walk(graph.root.id, "")
    if len(lines) == 1:
        lines.append(f"(no {'upstream' if upstream else 'downstream'} lineage recorded)")
    return "\n".join(lines)


def as_json(graph: Graph) -> str:
    """Marquez's lineage response shape: ``{"graph": [{"id", "type", "data", "inEdges", "outEdges"}]}``."""
    nodes = []
    for node_id in sorted(graph.nodes):
        node = graph.nodes[node_id]
        data = {"namespace": node.namespace, "name": node.name}
        if node_id in graph.types:
            data["type"] = graph.types[node_id]
        nodes.append(
            {
                "id": node_id,
                "type": node.kind.upper(),
                "data": data,
                "inEdges": [{"origin": o, "destination": d} for o, d in sorted(graph.edges) if d == node_id],
                "outEdges": [{"origin": o, "destination": d} for o, d in sorted(graph.edges) if o == node_id],
            }
        )
    return json.dumps({"root": graph.root.id, "graph": nodes}, indent=2)


def dot(graph: Graph) -> str:
    def quote(text: str) -> str:
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'

    lines = ["digraph lineage {", "  rankdir=LR;"]
    for node_id in sorted(graph.nodes):
        node = graph.nodes[node_id]
        shape = "box" if node.kind == "job" else "cylinder"
        lines.append(f"  {quote(node_id)} [label={quote(_label(graph, node))}, shape={shape}];")
    lines += [f"  {quote(o)} -> {quote(d)};" for o, d in sorted(graph.edges)]
    lines.append("}")
    return "\n".join(lines)


def mermaid(graph: Graph) -> str:
    ids = {node_id: f"n{i}" for i, node_id in enumerate(sorted(graph.nodes))}
    lines = ["flowchart LR"]
    for node_id, short in ids.items():
        node = graph.nodes[node_id]
        text = _label(graph, node).replace('"', "#quot;")
        lines.append(f'  {short}["{text}"]' if node.kind == "job" else f'  {short}[("{text}")]')
    lines += [f"  {ids[o]} --> {ids[d]}" for o, d in sorted(graph.edges)]
    return "\n".join(lines)


def render(graph: Graph, fmt: Format) -> str:
    return {"tree": tree, "json": as_json, "dot": dot, "mermaid": mermaid}[fmt](graph)
