"""Network diagrams drawn by code, so every figure in the book follows the book's notation.

A :class:`NetworkDiagram` draws a fully connected network from its list of layer sizes (biases
omitted) and can then highlight weights, rows or columns of ``W(l)``, write values on neurons and
receptors, and add the cost node ``J``; for backpropagation it highlights every path from a
weight to ``J`` with the local derivatives of the chain rule written on it, and draws the deltas
flowing backwards. The module-level functions build the figures the chapters use. The numbers
they write come from the caller: nothing here computes a forward or a backward pass. Figures
are plain :class:`matplotlib.figure.Figure` objects (no pyplot state), so a notebook cell that
returns one shows it exactly once.

Indices follow the book: layers ``l = 0 .. L``, neurons ``k = 1 .. n(l)``, and ``w(l)_ij``
connects neuron ``i`` of layer ``l-1`` to neuron ``j`` of layer ``l``.
"""

from __future__ import annotations

import io
import numbers
import os
from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Circle, FancyBboxPatch
from matplotlib.transforms import blended_transform_factory

NEURON_COLOR = "#dbe9f6"
RECEPTOR_COLOR = "#fdf1d6"
EDGE_COLOR = "#9aa5b1"
HIGHLIGHT = "#d1495b"
SECOND_HIGHLIGHT = "#2e86ab"
#: The part of a chain-rule path whose derivative is already known (see ``highlight_paths``).
COMPUTED = SECOND_HIGHLIGHT
#: Parts of a network that carry nothing backwards (a delta of zero).
FADED = "#d5dae0"

_LAYER_GAP = 3.25
_NEURON_GAP = 1.35
_RADIUS = 0.38
_BOX_W, _BOX_H = 0.9, 0.6
_BOX_OFFSET = 1.12  # distance from a receptor box centre to its neuron centre
#: Inches per unit of the drawing: the figure is exactly as large as what it shows.
_INCHES_PER_UNIT = 0.72

#: Font sizes (points) of the drawings. At the width a figure is shown in the book's column
#: the smallest of them is still about the size of the text around it (see FIGURE_DPI).
FONT = {"neuron": 15, "receptor": 14, "value": 13, "long_value": 12, "layer": 12.5,
        "cost": 17, "weight": 15, "derivative": 12, "legend": 13, "caption": 14,
        "symbol": 12.5, "title": 15}

#: Figures are drawn at twice the resolution at which they are shown (``width`` in the
#: output's metadata), so that they stay sharp on high-resolution screens and when zoomed.
DISPLAY_DPI = 100
FIGURE_DPI = 2 * DISPLAY_DPI


#: The chapters' plots (see :func:`subplots`): a width that a phone's column (about 360 CSS
#: px) shows at 80 % or more, and no text under 10.5 points, so that the smallest label is
#: at least 11 CSS px on a phone and about 14.6 px (its drawn size) on a desktop.
PLOT_WIDTH = 4.4
PLOT_FONT_POINTS = 10.5
PLOT_STYLE = {"font.size": PLOT_FONT_POINTS, "axes.titlesize": PLOT_FONT_POINTS + 0.5,
              "axes.labelsize": PLOT_FONT_POINTS, "xtick.labelsize": PLOT_FONT_POINTS,
              "ytick.labelsize": PLOT_FONT_POINTS, "legend.fontsize": PLOT_FONT_POINTS,
              "legend.title_fontsize": PLOT_FONT_POINTS, "figure.titlesize": PLOT_FONT_POINTS + 1}


def subplots(nrows: int = 1, ncols: int = 1, *, height: float, **options):
    """``pyplot.subplots`` for the book's plots: :data:`PLOT_WIDTH` wide, ``height`` inches
    high, in the book's text sizes (:data:`PLOT_STYLE`, set for the rest of the session, since
    matplotlib reads sizes when a title or a legend is made). Stack panels in rows: side by
    side they would be too narrow on a phone. Show the figure with :func:`show`."""
    import matplotlib
    import matplotlib.pyplot as plt

    matplotlib.rcParams.update(PLOT_STYLE)
    return plt.subplots(nrows, ncols, figsize=(PLOT_WIDTH, height), **options)


def smallest_text_points(figure: Figure) -> float | None:
    """The font size of the smallest text in ``figure`` (a label's base size, in points).

    Sub- and superscripts of mathtext are drawn smaller than this, as in printed formulas.
    """
    from matplotlib.text import Text

    sizes = [text.get_fontsize() for text in figure.findobj(Text)
             if text.get_visible() and text.get_text().strip() and text.get_alpha() != 0]
    return min(sizes) if sizes else None


def figure_png(figure: Figure) -> tuple[bytes, dict]:
    """``figure`` as a PNG at :data:`FIGURE_DPI`, and the metadata a notebook shows it with.

    The metadata gives the size to show it at (half its pixels: sharp on high-resolution
    screens) and, as ``smallest_text_px``, the size of its smallest text in the PNG's pixels,
    from which the book's tests check that every figure is legible where it is shown.

    While nbgrader grades the notebook (it sets ``NBGRADER_EXECUTION``), the figures only go
    into feedback files: they are drawn at :data:`DISPLAY_DPI`, shown at the same size, and
    not recompressed, which takes about a third of the time.
    """
    grading = bool(os.environ.get("NBGRADER_EXECUTION"))
    dpi = DISPLAY_DPI if grading else FIGURE_DPI
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight", pad_inches=0.05)
    png = buffer.getvalue() if grading else _palette_png(buffer.getvalue())
    width, height = (int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big"))
    scale = DISPLAY_DPI / dpi
    metadata = {"width": round(width * scale), "height": round(height * scale)}
    smallest = smallest_text_points(figure)
    if smallest is not None:
        metadata["smallest_text_px"] = round(smallest * dpi / 72, 2)
    return png, metadata


def _palette_png(png: bytes) -> bytes:
    """The PNG with at most 256 colours: a third of the bytes, no visible difference for
    flat drawings and plots on white (Pillow comes with matplotlib)."""
    try:
        from PIL import Image
    except ImportError:
        return png
    image = Image.open(io.BytesIO(png))
    if image.mode == "RGBA" and image.getchannel("A").getextrema()[0] == 255:
        image = image.convert("RGB")
    if image.mode != "RGB":
        return png
    buffer = io.BytesIO()
    image.quantize(colors=256, dither=Image.Dither.NONE).save(buffer, format="PNG",
                                                             optimize=True)
    return buffer.getvalue() if buffer.tell() < len(png) else png


def show(figure: Figure | None = None) -> None:
    """Show a matplotlib figure in the notebook, as the book's figures are shown.

    Use it instead of ``plt.show()``: the figure comes out sharp on high-resolution screens
    (see :func:`figure_png`) and is shown once (a pyplot figure is closed afterwards).
    Without an argument it shows pyplot's current figure.
    """
    import sys

    pyplot = sys.modules.get("matplotlib.pyplot")
    if figure is None:
        if pyplot is None:
            raise ValueError("show() without a figure shows pyplot's current figure, but "
                             "pyplot was not imported; pass the figure.")
        figure = pyplot.gcf()
    try:
        from IPython.display import display
    except ImportError:  # plain Python: nowhere to show it
        return
    png, metadata = figure_png(figure)
    display({"image/png": png, "text/plain": repr(figure)}, raw=True,
            metadata={"image/png": metadata})
    if pyplot is not None:
        pyplot.close(figure)


def enable_notebook_display() -> None:
    """Let a notebook cell that returns a Figure show it as an image (see :func:`figure_png`).

    pyplot arranges this when it is imported; figures made without pyplot (as here, so that no
    global figure state leaks between cells) need it said once.
    """
    try:
        from IPython import get_ipython
    except ImportError:  # plain Python: nothing to display on
        return
    shell = get_ipython()
    if shell is not None and hasattr(shell, "display_formatter"):
        shell.display_formatter.formatters["image/png"].for_type(Figure, figure_png)


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
        self.figure = Figure(figsize=(6, 3), dpi=DISPLAY_DPI)  # sized to the drawing below
        self.ax = self.figure.add_axes((0, 0, 1, 1))
        self.ax.set_axis_off()
        self.ax.set_aspect("equal")
        self._edges: dict[tuple[int, int, int], object] = {}
        self._links: dict[tuple[int, int], object] = {}  # receptor -> neuron, per neuron
        self._cost_links: dict[int, object] = {}  # output neuron -> J
        self._path: dict[tuple, str] = {}  # parts highlighted by highlight_paths, and colours
        self._draw_edges()
        self._draw_nodes(node_labels)
        if cost:
            self._draw_cost()
        self._draw_layer_names()
        if title:
            self.ax.set_title(title, fontsize=FONT["title"], pad=6)
        left = -0.9
        right = self.L * _LAYER_GAP + (2.2 if cost else 0.9)
        top = (tallest - 1) * _NEURON_GAP / 2 + 0.9
        self.ax.set_xlim(left, right)
        self.ax.set_ylim(-top - 0.6, top)
        self.figure.set_size_inches((right - left) * _INCHES_PER_UNIT,
                                    (2 * top + 0.6) * _INCHES_PER_UNIT)
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
                    x, y, label, ha="center", va="center", fontsize=FONT["neuron"], zorder=4)
                if layer >= 1 and self.receptors:
                    bx, by = self.receptor_xy(layer, k)
                    self.ax.add_patch(FancyBboxPatch(
                        (bx - _BOX_W / 2, by - _BOX_H / 2), _BOX_W, _BOX_H,
                        boxstyle="round,pad=0.02,rounding_size=0.08",
                        facecolor=RECEPTOR_COLOR, edgecolor="#8a6d3b", lw=1.1, zorder=3))
                    (link,) = self.ax.plot([bx + _BOX_W / 2, x - _RADIUS], [by, y],
                                           color="#8a6d3b", lw=1.1, zorder=2)
                    self._links[(layer, k)] = link
                    label = math_label("z", layer, k) if node_labels else ""
                    self.receptor_text[(layer, k)] = self.ax.text(
                        bx, by, label, ha="center", va="center", fontsize=FONT["receptor"],
                        zorder=4)

    def _draw_cost(self) -> None:
        cx = self.L * _LAYER_GAP + 1.5
        self.cost_xy = (cx, 0.0)
        self.ax.add_patch(FancyBboxPatch((cx - 0.4, -0.35), 0.8, 0.7,
                                         boxstyle="round,pad=0.02,rounding_size=0.1",
                                         facecolor="#e8e3f3", edgecolor="#5b4b8a", lw=1.3,
                                         zorder=3))
        self.ax.text(cx, 0.0, "$J$", ha="center", va="center", fontsize=FONT["cost"], zorder=4)
        for k in range(1, self.layers[-1] + 1):
            x, y = self.neuron_xy(self.L, k)
            (line,) = self.ax.plot([x + _RADIUS, cx - 0.4], [y, 0.0], color=EDGE_COLOR,
                                   lw=1.0, zorder=1)
            self._cost_links[k] = line

    def _draw_layer_names(self) -> None:
        bottom = -(max(self.layers) - 1) * _NEURON_GAP / 2 - 0.7
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
                         fontsize=FONT["layer"], color="#33475b", linespacing=1.3)

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
            self.ax.text(x, y + 0.12, label, ha="center", va="bottom", fontsize=FONT["weight"],
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
                     fontsize=FONT["caption"], color=color)

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
            text.set_text(_number(value, decimals))
            text.set_fontsize(FONT["value"] if len(text.get_text()) <= 5 else FONT["long_value"])
            x, y = where(layer, k)
            if symbol:
                self.ax.text(x, y + half_height + 0.05, symbol, ha="center", va="bottom",
                             fontsize=FONT["symbol"], color="#33475b", zorder=4)

    # -- chain-rule paths (chapter 3) -------------------------------------------------------
    def _check_paths_possible(self, what: str) -> None:
        if not (self.receptors and self.cost):
            raise ValueError(f"{what} needs receptor boxes and the cost node: draw the diagram "
                             "with NetworkDiagram(layers, receptors=True, cost=True).")

    def path_parts(self, layer: int, i: int, j: int) -> list[tuple]:
        """Every part of the network on a path from ``w(layer)_ij`` to the cost ``J``.

        Parts come in order from the weight to the cost: ``("weight", l, p, q)`` is the line of
        ``w(l)_pq``, ``("link", l, k)`` joins receptor ``z(l)_k`` to neuron ``x(l)_k``, and
        ``("cost", k)`` joins output neuron ``x(L)_k`` to ``J``. Beyond the weight's own layer
        the network is fully connected, so every later neuron lies on some path.
        """
        self.edge_points(layer, i, j)  # validates the weight
        parts: list[tuple] = [("weight", layer, i, j), ("link", layer, j)]
        reached = [j]
        for m in range(layer + 1, self.L + 1):
            parts += [("weight", m, p, q) for p in reached
                      for q in range(1, self.layers[m] + 1)]
            reached = list(range(1, self.layers[m] + 1))
            parts += [("link", m, q) for q in reached]
        parts += [("cost", k) for k in range(1, self.layers[-1] + 1)]
        return parts

    def _line(self, part: tuple):
        kind = part[0]
        if kind == "weight":
            return self._edges[part[1:]]
        if kind == "link":
            return self._links[part[1:]]
        return self._cost_links[part[1]]

    def _part_points(self, part: tuple):
        line = self._line(part)
        xs, ys = line.get_data()
        return (float(xs[0]), float(ys[0])), (float(xs[-1]), float(ys[-1]))

    def _check_computed_from(self, layer: int, computed_from) -> None:
        if computed_from is None:
            return
        if isinstance(computed_from, bool) or not isinstance(computed_from, numbers.Integral) \
                or not layer < computed_from <= self.L:
            raise ValueError(
                f"computed_from is the layer whose receptors' derivatives dJ/dz are already "
                f"known; for a weight of layer {layer} it must be one of "
                f"{list(range(layer + 1, self.L + 1)) or 'none (no later layer)'}, "
                f"got {computed_from!r}.")

    @staticmethod
    def _is_computed(part: tuple, computed_from) -> bool:
        """Whether ``part`` lies between the receptors of layer ``computed_from`` and ``J``."""
        if computed_from is None:
            return False
        kind = part[0]
        if kind == "cost":
            return True
        if kind == "link":
            return part[1] >= computed_from
        return part[1] > computed_from

    def highlight_paths(self, layer: int, i: int, j: int, *, computed_from: int | None = None,
                        color: str = HIGHLIGHT, computed_color: str = COMPUTED,
                        legend: bool = True):
        """Highlight every path from ``w(layer)_ij`` to ``J``, the weight named on its line.

        With ``computed_from=m`` the paths from the receptors of layer ``m`` to ``J`` (whose
        derivatives an earlier step of the chain rule already found) take ``computed_color``;
        the rest, still to be multiplied out, takes ``color``. A legend says which is which.
        """
        self._check_paths_possible("highlight_paths")
        if self._path:
            raise ValueError("this diagram already shows the paths of one weight; draw a new "
                             "NetworkDiagram for another weight.")
        parts = self.path_parts(layer, i, j)
        self._check_computed_from(layer, computed_from)
        self._path = {}
        for part in parts:
            part_color = computed_color if self._is_computed(part, computed_from) else color
            line = self._line(part)
            line.set_color(part_color)
            line.set_linewidth(2.6)
            line.set_zorder(2)
            self._path[part] = part_color
        self.highlight_weight(layer, i, j, color=color, label=None)
        x, y, ha, va = _beside(*self.edge_points(layer, i, j), 0.3, above=True)
        self.ax.text(x, y, math_label("w", layer, i, j), ha=ha, va=va,
                     fontsize=FONT["weight"],
                     color=color, zorder=6,
                     bbox=dict(boxstyle="round,pad=0.1", facecolor="white", edgecolor="none",
                               alpha=0.9))
        self._chosen = (layer, i, j)
        if legend:
            handles = [Line2D([], [], color=color, lw=2.6)]
            labels = [f"every path from {math_label('w', layer, i, j)} to $J$"]
            if computed_from is not None:
                labels = ["new: local derivatives still to multiply"]
                handles.append(Line2D([], [], color=computed_color, lw=2.6))
                labels.append("already computed: "
                              f"$\\partial J / \\partial z^{{({computed_from})}}$")
            self._add_legend(handles, labels)
        return self

    def _grow_top(self, units: float) -> float:
        """Make room above the drawing without shrinking it; return the old top."""
        x0, x1 = self.ax.get_xlim()
        y0, y1 = self.ax.get_ylim()
        width, height = self.figure.get_size_inches()
        scale = min(width / (x1 - x0), height / (y1 - y0))  # inches per unit (equal aspect)
        self.ax.set_ylim(y0, y1 + units)
        self.figure.set_size_inches(width, height + units * scale)
        return y1

    def _add_legend(self, handles, labels) -> None:
        top = self._grow_top(0.6)
        self.ax.legend(handles, labels, loc="lower center", ncol=len(handles), frameon=False,
                       fontsize=FONT["legend"], handlelength=2.2, columnspacing=2.0,
                       bbox_to_anchor=(0.5, top - 0.05),
                       bbox_transform=blended_transform_factory(self.ax.transAxes,
                                                                self.ax.transData))

    def write_local_derivatives(self, values: dict | None = None, *, decimals: int = 2,
                                only_new: bool = False):
        """Write on each highlighted part the local derivative the chain rule multiplies there.

        Call :meth:`highlight_paths` first. The chosen weight's line gets
        ``dz/dw = x(l-1)_i``, every other weight's line ``dz/dx = w``, every receptor-to-neuron
        link ``dx/dz = a'(z)`` and every link to ``J`` the derivative ``dJ/dx(L)``. Without
        ``values`` the parts show these derivatives as fractions; with ``values`` (see
        :func:`validate_sample_values`) they show what each equals and its value for one
        sample, e.g. ``w(3)_21 = 0.07``. ``only_new`` skips the parts drawn in the
        "already computed" colour.
        """
        if not self._path:
            raise ValueError("call highlight_paths(layer, i, j) before write_local_derivatives.")
        if values is not None:
            values = validate_sample_values(values, self.layers)
        chosen = ("weight", *self._chosen)
        for part, color in self._path.items():
            if only_new and color != self._path[chosen]:
                continue
            symbol, value = self._local_derivative(part, part == chosen, values)
            if value is None:
                text = symbol
            elif part[0] == "link" and value in (0.0, 1.0):  # a ReLU or identity gate
                text = f"{symbol} = {value:.0f}"
            else:
                text = f"{symbol} = {_number(value, decimals)}"
            (x0, y0), (x1, y1) = self._part_points(part)
            ha = "center"
            if part == chosen:  # below the line, the weight's name being above it
                x, y, ha, va = _beside((x0, y0), (x1, y1), 0.68, above=False)
            elif part[0] == "weight":  # on the line, where lines leaving a neuron fan out
                x, y, va = x0 + 0.42 * (x1 - x0), y0 + 0.42 * (y1 - y0), "center"
            elif part[0] == "link":  # short links: the label sits above them
                x, y, va = (x0 + x1) / 2, max(y0, y1) + _RADIUS + 0.06, "bottom"
            else:  # below the link to J, clear of the output neuron's gate label
                x, y, va = (x0 + x1) / 2, min(y0, y1) - _RADIUS - 0.06, "top"
            self.ax.text(x, y, f"${text}$", ha=ha, va=va, fontsize=FONT["derivative"],
                         color=color,
                         zorder=6, bbox=dict(boxstyle="round,pad=0.12", facecolor="white",
                                             edgecolor=color, lw=0.6, alpha=0.95))
        return self

    def _local_derivative(self, part: tuple, chosen: bool, values):
        """The label of one part: the derivative as a fraction without values, else what it
        equals (a neuron, a weight, a gate, the cost's slope) and its value."""
        kind = part[0]
        if kind == "weight":
            _, l, p, q = part
            z = f"z^{{({l})}}_{{{q}}}"
            if chosen:  # dz(l)_q / dw(l)_pq is the neuron the weight leaves
                fraction = f"\\partial {z} / \\partial w^{{({l})}}_{{{p},{q}}}"
                symbol = f"x^{{({l - 1})}}_{{{p}}}"
                value = None if values is None else values["x"][l - 1][p - 1]
            else:  # dz(l)_q / dx(l-1)_p is the weight between them
                fraction = f"\\partial {z} / \\partial x^{{({l - 1})}}_{{{p}}}"
                symbol = f"w^{{({l})}}_{{{p},{q}}}"
                value = None if values is None else values["W"][l - 1][p - 1, q - 1]
        elif kind == "link":
            _, l, k = part
            fraction = f"\\partial x^{{({l})}}_{{{k}}} / \\partial z^{{({l})}}_{{{k}}}"
            symbol = f"a'(z^{{({l})}}_{{{k}}})"
            value = None if values is None else values["gate"][l - 1][k - 1]
        else:
            k = part[1]
            fraction = symbol = f"\\partial J / \\partial x^{{({self.L})}}_{{{k}}}"
            value = None if values is None else values["dJ_dx"][k - 1]
        if value is None:
            return fraction, None
        return symbol, float(value)

    def mark_known(self, layer: int, values=None, *, decimals: int = 2,
                   color: str = COMPUTED):
        """Write ``dJ/dz(layer)_k`` (its value, if given) under each receptor of ``layer``.

        The label sits below the short link from the receptor to its neuron, in the colour of
        the already computed part.
        """
        self._check_paths_possible("mark_known")
        if not 1 <= layer <= self.L:
            raise ValueError(f"receptors exist in layers 1..{self.L}, got layer {layer}.")
        if values is not None:
            values = _vector(values, f"the known dJ/dz of layer {layer}", self.layers[layer])
        for k in range(1, self.layers[layer] + 1):
            # Under the receptor's link to its neuron: clear of the lines arriving at the box.
            x, y = self.neuron_xy(layer, k)
            x -= (_BOX_OFFSET - _BOX_W / 2 + _RADIUS) / 2
            text = f"\\partial J / \\partial z^{{({layer})}}_{{{k}}}"
            if values is not None:
                text += f" = {_number(values[k - 1], decimals)}"
            self.ax.text(x, y - _RADIUS - 0.08, f"${text}$", ha="center", va="top",
                         fontsize=FONT["derivative"], color=color, zorder=6,
                         bbox=dict(boxstyle="round,pad=0.12", facecolor="white",
                                   edgecolor="none", alpha=0.95))
        return self

    # -- deltas flowing backwards (chapter 4) -----------------------------------------------
    def _arrow_back(self, start, end, color: str, at: float = 0.5) -> None:
        """An arrowhead at fraction ``at`` of the line ``start -> end``, pointing to start."""
        (x0, y0), (x1, y1) = start, end
        mx, my = x0 + at * (x1 - x0), y0 + at * (y1 - y0)
        dx, dy = (x0 - x1), (y0 - y1)
        norm = max((dx * dx + dy * dy) ** 0.5, 1e-9)
        step = min(0.12, norm / 4)
        tip = (mx + dx / norm * step, my + dy / norm * step)
        tail = (mx - dx / norm * step, my - dy / norm * step)
        self.ax.annotate("", xy=tip, xytext=tail, zorder=5,
                         arrowprops=dict(arrowstyle="-|>", color=color, lw=0,
                                         mutation_scale=17, shrinkA=0, shrinkB=0))

    def show_deltas(self, deltas=None, *, decimals: int = 2, color: str = HIGHLIGHT):
        """Draw the deltas ``delta(l)_k = dJ/dz(l)_k`` flowing backwards, from ``J`` to layer 1.

        Every receptor box shows its delta (the symbol, or its value when ``deltas`` is a list of
        one vector per layer 1..L). Arrowheads point backwards along each line that carries
        something back (none into the inputs, which have no delta); a line whose receptor has
        a delta of exactly zero carries nothing and is drawn faded and dashed.
        """
        self._check_paths_possible("show_deltas")
        if deltas is not None:
            if isinstance(deltas, np.ndarray) or not isinstance(deltas, Sequence) \
                    or len(deltas) != self.L:
                raise ValueError(
                    f"deltas must be a list of {self.L} vectors, one per layer 1..{self.L}; "
                    f"got {type(deltas).__name__}"
                    + (f" of length {len(deltas)}" if isinstance(deltas, Sequence) else "")
                    + ".")
            deltas = [_vector(d, f"deltas[{l - 1}] (layer {l})", self.layers[l])
                      for l, d in enumerate(deltas, start=1)]

        def active(l: int, k: int) -> bool:
            return deltas is None or deltas[l - 1][k - 1] != 0.0

        parts = [("weight", l, i, k) for l in range(1, self.L + 1)
                 for i in range(1, self.layers[l - 1] + 1)
                 for k in range(1, self.layers[l] + 1)]
        parts += [("link", l, k) for l in range(1, self.L + 1)
                  for k in range(1, self.layers[l] + 1)]
        parts += [("cost", k) for k in range(1, self.layers[-1] + 1)]
        for part in parts:
            l, k = (self.L, part[1]) if part[0] == "cost" else (part[1], part[-1])
            line = self._line(part)
            if active(l, k):
                line.set_color(color)
                line.set_linewidth(2.0)
                line.set_zorder(2)
                start, end = self._part_points(part)
                # The inputs have no delta: nothing flows back along layer 1's weights, which
                # only pair delta(1) with x(0) to give dW(1). So no arrowheads there.
                if part[0] == "weight" and l == 1:
                    continue
                # Crossing weight lines meet at their middles: put their arrows nearer the
                # receptor, where the lines arriving at one box are already apart.
                self._arrow_back(start, end, color, at=0.68 if part[0] == "weight" else 0.5)
            else:
                line.set_color(FADED)
                line.set_linestyle((0, (4, 3)))
        for (l, k), text in self.receptor_text.items():
            symbol = f"$\\delta^{{({l})}}_{{{k}}}$"
            if deltas is None:
                text.set_text(symbol)
                text.set_fontsize(FONT["receptor"])
                continue
            value = _number(deltas[l - 1][k - 1], decimals)
            text.set_text(value)
            # As large as the box allows: long numbers get a smaller font.
            text.set_fontsize(FONT["value"] if len(value) <= 6 else FONT["long_value"])
            x, y = self.receptor_xy(l, k)
            self.ax.text(x, y + _BOX_H / 2 + 0.05, symbol, ha="center", va="bottom",
                         fontsize=FONT["symbol"], color="#33475b", zorder=4)
        return self


def _number(value: float, decimals: int) -> str:
    """``value`` with ``decimals`` decimals; a value that rounds to zero shows as 0, not -0."""
    return f"{round(float(value), decimals) + 0.0:.{decimals}f}"


def _beside(start, end, t: float, *, above: bool, gap: float = 0.1):
    """Where to anchor a label next to a line, and its alignment, so it never crosses it.

    The anchor is the point at fraction ``t`` of the line, moved ``gap`` away from it; the
    alignment makes the text grow away from the line whatever its slope.
    """
    (x0, y0), (x1, y1) = start, end
    x, y = x0 + t * (x1 - x0), y0 + t * (y1 - y0)
    slope = 0.0 if x1 == x0 else (y1 - y0) / (x1 - x0)
    if abs(slope) < 0.05:
        return x, y + (gap if above else -gap), "center", "bottom" if above else "top"
    rising = slope > 0
    # Above a rising line lies its upper-left side; below it, its lower-right side.
    ha = "right" if rising == above else "left"
    length = ((x1 - x0) ** 2 + (y1 - y0) ** 2) ** 0.5
    nx, ny = -(y1 - y0) / length, (x1 - x0) / length  # unit normal pointing up
    sign = 1.0 if above else -1.0
    return x + sign * gap * nx, y + sign * gap * ny, ha, "bottom" if above else "top"


def _vector(values, name: str, size: int) -> np.ndarray:
    try:
        array = np.asarray(values, dtype=float).ravel()
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be numbers, got {values!r}.") from None
    if array.size != size:
        raise ValueError(f"{name} needs {size} values, got {array.size}.")
    return array


def validate_sample_values(values, layers) -> dict:
    """Check the numbers of one sample that :func:`chain_rule_diagram` writes on a network.

    ``values`` is a dict with

    - ``"x"``: the neurons of every layer, ``[x(0), x(1), ..., x(L)]`` (``x(0)`` is the sample);
    - ``"W"``: the weight matrices ``[W(1), ..., W(L)]``, ``W(l)`` of shape (n(l-1), n(l));
    - ``"gate"``: the activation derivatives ``[a'(z(1)), ..., a'(z(L))]``;
    - ``"dJ_dx"``: the derivative of the cost with respect to the output neurons.

    Returns the same dict with NumPy arrays; raises ``ValueError`` naming what does not fit.
    """
    layers = validate_layers(layers)
    L = len(layers) - 1
    keys = ("x", "W", "gate", "dJ_dx")
    if not isinstance(values, dict):
        raise ValueError(f"values must be a dict with the keys {list(keys)}, "
                         f"got {type(values).__name__}.")
    missing = [key for key in keys if key not in values]
    if missing:
        raise ValueError(f"values must be a dict with the keys {list(keys)}; missing {missing}.")
    for key, count, first in (("x", L + 1, 0), ("W", L, 1), ("gate", L, 1)):
        items = values[key]
        if isinstance(items, np.ndarray) or not isinstance(items, Sequence) \
                or len(items) != count:
            raise ValueError(f"values[{key!r}] must be a list of {count} items, one per layer "
                             f"{first}..{L}.")
    checked = {
        "x": [_vector(v, f"values['x'][{l}] (layer {l})", layers[l])
              for l, v in enumerate(values["x"])],
        "gate": [_vector(v, f"values['gate'][{l - 1}] (layer {l})", layers[l])
                 for l, v in enumerate(values["gate"], start=1)],
        "dJ_dx": _vector(values["dJ_dx"], "values['dJ_dx']", layers[-1]),
        "W": [],
    }
    for l, W in enumerate(values["W"], start=1):
        try:
            W = np.asarray(W, dtype=float)
        except (TypeError, ValueError):
            raise ValueError(f"values['W'][{l - 1}] must be a matrix of numbers.") from None
        if W.shape != (layers[l - 1], layers[l]):
            raise ValueError(f"values['W'][{l - 1}] has shape {W.shape}; W({l}) must have "
                             f"shape {(layers[l - 1], layers[l])}.")
        checked["W"].append(W)
    return checked


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


def network_with_cost(layers=(2, 3, 2, 1)) -> Figure:
    """The network with its receptors and, after the output layer, the cost node ``J``."""
    return NetworkDiagram(layers, cost=True).figure


def chain_rule_diagram(layer: int, i: int, j: int, values: dict | None = None, *,
                       computed_from: int | None = None, known=None, layers=None,
                       decimals: int = 2, only_new: bool = False) -> Figure:
    """Every path from ``w(layer)_ij`` to ``J``, with the local derivatives written on it.

    Without ``values`` the parts show the symbols of their local derivatives; with ``values``
    (a dict described in :func:`validate_sample_values`) they also show their numbers for one
    sample. ``computed_from=m`` colours the part from the receptors of layer ``m`` to ``J``
    as already computed; ``known`` optionally gives those receptors' ``dJ/dz(m)``, written
    under their boxes. ``only_new`` leaves the already computed part unlabelled, except for
    the symbols ``dJ/dz(m)`` (with their values when ``known`` is given).
    """
    if layers is None:
        layers = (2, 3, 2, 1)
        if isinstance(values, dict) and isinstance(values.get("x"), Sequence):
            layers = [np.asarray(v).size for v in values["x"]]
    if known is not None and computed_from is None:
        raise ValueError("known gives dJ/dz of the layer named by computed_from; "
                         "pass computed_from too.")
    diagram = NetworkDiagram(layers, cost=True)
    diagram.highlight_paths(layer, i, j, computed_from=computed_from)
    diagram.write_local_derivatives(values, decimals=decimals, only_new=only_new)
    if known is not None or (only_new and computed_from is not None):
        # The known part then carries no labels of its own: name what it stands for.
        diagram.mark_known(computed_from, known, decimals=decimals)
    return diagram.figure


def delta_diagram(deltas=None, *, layers=None, decimals: int = 2) -> Figure:
    """The deltas flowing backwards from ``J``: symbols, or one sample's values.

    ``deltas`` is a list ``[delta(1), ..., delta(L)]`` of vectors (or ``None`` for symbols);
    lines that carry a delta of zero are drawn faded. ``layers`` defaults to the example's
    ``(2, 3, 2, 1)``.
    """
    if layers is None:
        layers = (2, 3, 2, 1)
    diagram = NetworkDiagram(layers, cost=True)
    diagram.show_deltas(deltas, decimals=decimals)
    return diagram.figure
