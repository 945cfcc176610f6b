"""Network diagrams drawn by code, so every figure in the book follows the book's notation.

A :class:`NetworkDiagram` draws a fully connected network from its list of layer sizes (biases
omitted) and can then highlight weights, rows or columns of ``W(l)``, write values on neurons and
receptors, and add the cost node ``J``. The module-level functions build the figures the chapters
use. Figures are plain :class:`matplotlib.figure.Figure` objects (no pyplot state), so a notebook
cell that returns one shows it exactly once.

Indices follow the book: layers ``l = 0 .. L``, neurons ``k = 1 .. n(l)``, and ``w(l)_ij``
connects neuron ``i`` of layer ``l-1`` to neuron ``j`` of layer ``l``.
"""

from __future__ import annotations

import io
import numbers
from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Circle, FancyBboxPatch

NEURON_COLOR = "#dbe9f6"
RECEPTOR_COLOR = "#fdf1d6"
EDGE_COLOR = "#9aa5b1"
HIGHLIGHT = "#d1495b"
SECOND_HIGHLIGHT = "#2e86ab"

_LAYER_GAP = 3.2
_NEURON_GAP = 1.35
_RADIUS = 0.36
_BOX_W, _BOX_H = 0.72, 0.56
_BOX_OFFSET = 1.05  # distance from a receptor box centre to its neuron centre


def _figure_png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", bbox_inches="tight", pad_inches=0.05)
    return buffer.getvalue()


def enable_notebook_display() -> None:
    """Let a notebook cell that returns a Figure show it as an image.

    pyplot arranges this when it is imported; figures made without pyplot (as here, so that no
    global figure state leaks between cells) need it said once.
    """
    try:
        from IPython import get_ipython
    except ImportError:  # plain Python: nothing to display on
        return
    shell = get_ipython()
    if shell is not None and hasattr(shell, "display_formatter"):
        shell.display_formatter.formatters["image/png"].for_type(Figure, _figure_png)


enable_notebook_display()


def validate_layers(layers) -> tuple[int, ...]:
    """Return ``layers`` as a tuple of ints, or raise ``ValueError`` saying what is wrong."""
    if isinstance(layers, (str, bytes)) or not isinstance(layers, Sequence):
        raise ValueError(
            f"layers must be a list of neuron counts such as [2, 3, 2, 1], got {layers!r}."
        )
    if len(layers) < 2:
        raise ValueError(
            f"layers must list at least an input and an output layer, got {list(layers)!r}."
        )
    for position, size in enumerate(layers):
        if isinstance(size, bool) or not isinstance(size, numbers.Integral) or size < 1:
            raise ValueError(
                f"layers[{position}] must be a positive whole number of neurons, got {size!r}."
            )
        if size > 16:
            raise ValueError(
                f"layers[{position}] has {size} neurons; a diagram shows at most 16 per layer."
            )
    return tuple(int(size) for size in layers)


def math_label(symbol: str, layer: int, *indices: int) -> str:
    """Mathtext for a symbol of the book's notation, e.g. ``math_label('w', 1, 1, 2)``."""
    sub = ",".join(str(i) for i in indices)
    return f"${symbol}^{{({layer})}}_{{{sub}}}$"


class NetworkDiagram:
    """A drawing of a fully connected network whose parts can be highlighted and labelled."""

    def __init__(self, layers, *, receptors: bool = True, cost: bool = False,
                 title: str | None = None, node_labels: bool = True):
        self.layers = validate_layers(layers)
        self.receptors = receptors
        self.cost = cost
        self.L = len(self.layers) - 1
        tallest = max(self.layers)
        width = 1.9 + 2.25 * (self.L + 1) + (1.4 if cost else 0.0)
        height = 1.2 + 0.95 * tallest
        self.figure = Figure(figsize=(width, height), dpi=100)
        self.ax = self.figure.add_axes((0, 0, 1, 1))
        self.ax.set_axis_off()
        self.ax.set_aspect("equal")
        self._edges: dict[tuple[int, int, int], object] = {}
        self._draw_edges()
        self._draw_nodes(node_labels)
        if cost:
            self._draw_cost()
        self._draw_layer_names()
        if title:
            self.ax.set_title(title, fontsize=12, pad=6)
        left = -0.9
        right = self.L * _LAYER_GAP + (2.3 if cost else 0.9)
        top = (tallest - 1) * _NEURON_GAP / 2 + 0.9
        self.ax.set_xlim(left, right)
        self.ax.set_ylim(-top - 0.5, top)
        self.figure.diagram = self  # lets tests and chapters reach the drawing's parts

    # -- geometry ---------------------------------------------------------------------------
    def _check_neuron(self, layer: int, k: int) -> None:
        if not 0 <= layer <= self.L:
            raise ValueError(f"layer must be between 0 and {self.L}, got {layer}.")
        if not 1 <= k <= self.layers[layer]:
            raise ValueError(
                f"layer {layer} has neurons 1..{self.layers[layer]}, got neuron {k}."
            )

    def neuron_xy(self, layer: int, k: int) -> tuple[float, float]:
        self._check_neuron(layer, k)
        n = self.layers[layer]
        return layer * _LAYER_GAP, ((n - 1) / 2 - (k - 1)) * _NEURON_GAP

    def receptor_xy(self, layer: int, k: int) -> tuple[float, float]:
        x, y = self.neuron_xy(layer, k)
        return x - _BOX_OFFSET, y

    def _edge_end(self, layer: int, j: int) -> tuple[float, float]:
        if self.receptors:
            x, y = self.receptor_xy(layer, j)
            return x - _BOX_W / 2, y
        x, y = self.neuron_xy(layer, j)
        return x - _RADIUS, y

    def edge_points(self, layer: int, i: int, j: int):
        """Start and end of the line of weight ``w(layer)_ij``."""
        if not 1 <= layer <= self.L:
            raise ValueError(f"weights exist for layers 1..{self.L}, got layer {layer}.")
        self._check_neuron(layer - 1, i)
        self._check_neuron(layer, j)
        x0, y0 = self.neuron_xy(layer - 1, i)
        return (x0 + _RADIUS, y0), self._edge_end(layer, j)

    # -- drawing ----------------------------------------------------------------------------
    def _draw_edges(self) -> None:
        for layer in range(1, self.L + 1):
            for i in range(1, self.layers[layer - 1] + 1):
                for j in range(1, self.layers[layer] + 1):
                    (x0, y0), (x1, y1) = self.edge_points(layer, i, j)
                    (line,) = self.ax.plot([x0, x1], [y0, y1], color=EDGE_COLOR, lw=1.0,
                                           zorder=1)
                    self._edges[(layer, i, j)] = line

    def _draw_nodes(self, node_labels: bool) -> None:
        self.neuron_text: dict[tuple[int, int], object] = {}
        self.receptor_text: dict[tuple[int, int], object] = {}
        for layer, n in enumerate(self.layers):
            for k in range(1, n + 1):
                x, y = self.neuron_xy(layer, k)
                self.ax.add_patch(Circle((x, y), _RADIUS, facecolor=NEURON_COLOR,
                                         edgecolor="#33475b", lw=1.2, zorder=3))
                label = math_label("x", layer, k) if node_labels else ""
                self.neuron_text[(layer, k)] = self.ax.text(
                    x, y, label, ha="center", va="center", fontsize=11, zorder=4)
                if layer >= 1 and self.receptors:
                    bx, by = self.receptor_xy(layer, k)
                    self.ax.add_patch(FancyBboxPatch(
                        (bx - _BOX_W / 2, by - _BOX_H / 2), _BOX_W, _BOX_H,
                        boxstyle="round,pad=0.02,rounding_size=0.08",
                        facecolor=RECEPTOR_COLOR, edgecolor="#8a6d3b", lw=1.1, zorder=3))
                    self.ax.plot([bx + _BOX_W / 2, x - _RADIUS], [by, y], color="#8a6d3b",
                                 lw=1.1, zorder=2)
                    label = math_label("z", layer, k) if node_labels else ""
                    self.receptor_text[(layer, k)] = self.ax.text(
                        bx, by, label, ha="center", va="center", fontsize=10, zorder=4)

    def _draw_cost(self) -> None:
        cx = self.L * _LAYER_GAP + 1.6
        self.cost_xy = (cx, 0.0)
        self.ax.add_patch(FancyBboxPatch((cx - 0.4, -0.35), 0.8, 0.7,
                                         boxstyle="round,pad=0.02,rounding_size=0.1",
                                         facecolor="#e8e3f3", edgecolor="#5b4b8a", lw=1.3,
                                         zorder=3))
        self.ax.text(cx, 0.0, "$J$", ha="center", va="center", fontsize=13, zorder=4)
        for k in range(1, self.layers[-1] + 1):
            x, y = self.neuron_xy(self.L, k)
            self.ax.plot([x + _RADIUS, cx - 0.4], [y, 0.0], color=EDGE_COLOR, lw=1.0,
                         zorder=1)

    def _draw_layer_names(self) -> None:
        bottom = -(max(self.layers) - 1) * _NEURON_GAP / 2 - 0.85
        for layer in range(self.L + 1):
            if layer == 0:
                name = "input layer"
            elif layer == self.L:
                name = "output layer"
            else:
                name = "hidden layer"
            self.ax.text(layer * _LAYER_GAP - (_BOX_OFFSET / 2 if layer and self.receptors
                                               else 0.0),
                         bottom, f"{name}\n$l = {layer}$", ha="center", va="top",
                         fontsize=9, color="#33475b")

    # -- highlighting and values ------------------------------------------------------------
    def highlight_weight(self, layer: int, i: int, j: int, *, color: str = HIGHLIGHT,
                         label: str | None = "auto", position: float = 0.3):
        """Draw ``w(layer)_ij`` thick and coloured, with its name (or ``label``) on the line."""
        (x0, y0), (x1, y1) = self.edge_points(layer, i, j)
        line = self._edges[(layer, i, j)]
        line.set_color(color)
        line.set_linewidth(2.6)
        line.set_zorder(2)
        if label == "auto":
            label = math_label("w", layer, i, j)
        if label:
            x = x0 + position * (x1 - x0)
            y = y0 + position * (y1 - y0)
            self.ax.text(x, y + 0.12, label, ha="center", va="bottom", fontsize=11,
                         color=color, zorder=5,
                         bbox=dict(boxstyle="round,pad=0.15", facecolor="white",
                                   edgecolor="none", alpha=0.85))
        return self

    def highlight_row(self, layer: int, i: int, *, color: str = HIGHLIGHT):
        """Highlight row ``i`` of ``W(layer)``: every weight leaving neuron ``i`` of ``layer-1``."""
        self._check_neuron(layer - 1, i)
        for j in range(1, self.layers[layer] + 1):
            self.highlight_weight(layer, i, j, color=color, label=None)
        self._caption(f"row {i} of $\\mathbf{{W}}^{{({layer})}}$: the weights leaving "
                      f"{math_label('x', layer - 1, i)}", color)
        return self

    def highlight_column(self, layer: int, j: int, *, color: str = SECOND_HIGHLIGHT):
        """Highlight column ``j`` of ``W(layer)``: every weight arriving at neuron ``j``."""
        if not 1 <= layer <= self.L:
            raise ValueError(f"weights exist for layers 1..{self.L}, got layer {layer}.")
        self._check_neuron(layer, j)
        for i in range(1, self.layers[layer - 1] + 1):
            self.highlight_weight(layer, i, j, color=color, label=None)
        self._caption(f"column {j} of $\\mathbf{{W}}^{{({layer})}}$: the weights arriving at "
                      f"{math_label('x', layer, j)}", color)
        return self

    def _caption(self, text: str, color: str) -> None:
        top = (max(self.layers) - 1) * _NEURON_GAP / 2 + 0.55
        self.ax.text(self.L * _LAYER_GAP / 2, top, text, ha="center", va="bottom",
                     fontsize=11, color=color)

    def write_values(self, neurons: dict[int, Sequence[float]] | None = None,
                     receptors: dict[int, Sequence[float]] | None = None,
                     decimals: int = 2):
        """Write values on the nodes: ``neurons={layer: values}``, ``receptors={layer: values}``.

        The symbol moves above the node and the value takes its place, as in a forward pass.
        """
        for layer, values in (neurons or {}).items():
            self._write(self.neuron_text, self.neuron_xy, layer, values, decimals, _RADIUS)
        for layer, values in (receptors or {}).items():
            if not self.receptors:
                raise ValueError("this diagram has no receptor boxes; draw it with "
                                 "receptors=True to write receptor values.")
            if layer < 1:
                raise ValueError("the input layer has no receptors; receptor values start "
                                 "at layer 1.")
            self._write(self.receptor_text, self.receptor_xy, layer, values, decimals,
                        _BOX_H / 2)
        return self

    def _write(self, texts, where, layer, values, decimals, half_height) -> None:
        values = np.asarray(values, dtype=float).ravel()
        if not 0 <= layer <= self.L or values.size != self.layers[layer]:
            size = self.layers[layer] if 0 <= layer <= self.L else "?"
            raise ValueError(
                f"layer {layer} needs {size} values, got {values.size}."
            )
        for k, value in enumerate(values, start=1):
            text = texts[(layer, k)]
            symbol = text.get_text()
            text.set_text(f"{value:.{decimals}f}")
            text.set_fontsize(9)
            x, y = where(layer, k)
            if symbol:
                self.ax.text(x, y + half_height + 0.05, symbol, ha="center", va="bottom",
                             fontsize=9, color="#33475b", zorder=4)


def plain_network(layers=(2, 3, 2, 1)) -> Figure:
    """The usual diagram: neurons and weights, biases omitted."""
    return NetworkDiagram(layers, receptors=False).figure


def network_with_receptors(layers=(2, 3, 2, 1)) -> Figure:
    """Each neuron with its receptor box ``z`` that collects the weighted signals."""
    return NetworkDiagram(layers).figure


def weight_diagram(layer: int, i: int, j: int, layers=(2, 3, 2, 1)) -> Figure:
    """One weight ``w(l)_ij`` highlighted and named."""
    return NetworkDiagram(layers).highlight_weight(layer, i, j).figure


def row_diagram(layer: int, i: int, layers=(2, 3, 2, 1)) -> Figure:
    """Row ``i`` of ``W(layer)``: the weights leaving neuron ``i`` of layer ``layer-1``."""
    return NetworkDiagram(layers).highlight_row(layer, i).figure


def column_diagram(layer: int, j: int, layers=(2, 3, 2, 1)) -> Figure:
    """Column ``j`` of ``W(layer)``: the weights arriving at neuron ``j`` of layer ``layer``."""
    return NetworkDiagram(layers).highlight_column(layer, j).figure


def forward_pass_diagram(x0, zs: Sequence, xs: Sequence, layers=None,
                         decimals: int = 2) -> Figure:
    """A forward pass for one sample: inputs ``x0``, then ``zs[l-1]`` and ``xs[l-1]`` per layer."""
    x0 = np.asarray(x0, dtype=float).ravel()
    if layers is None:
        layers = [x0.size] + [np.asarray(z).size for z in zs]
    if len(zs) != len(layers) - 1 or len(xs) != len(layers) - 1:
        raise ValueError(
            f"a network with {len(layers)} layers needs {len(layers) - 1} receptor and neuron "
            f"vectors, got {len(zs)} and {len(xs)}."
        )
    diagram = NetworkDiagram(layers)
    diagram.write_values(
        neurons={0: x0, **{l: x for l, x in enumerate(xs, start=1)}},
        receptors={l: z for l, z in enumerate(zs, start=1)},
        decimals=decimals,
    )
    return diagram.figure
