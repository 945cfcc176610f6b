"""Diagrams return figures, label what they should and reject bad layer lists clearly."""

from __future__ import annotations

import pytest
from matplotlib.figure import Figure

from nnbook import diagrams


def texts(figure: Figure) -> list[str]:
    return [t.get_text() for t in figure.axes[0].texts]


def test_plain_network_has_every_neuron_and_no_receptor():
    fig = diagrams.plain_network([2, 3, 2, 1])
    assert isinstance(fig, Figure)
    labels = texts(fig)
    assert "$x^{(0)}_{1}$" in labels and "$x^{(3)}_{1}$" in labels
    assert not any(label.startswith("$z") for label in labels)
    assert len(fig.diagram._edges) == 2 * 3 + 3 * 2 + 2 * 1


def test_receptors_drawn_for_every_layer_but_the_input():
    labels = texts(diagrams.network_with_receptors([2, 3, 2, 1]))
    receptors = [label for label in labels if label.startswith("$z")]
    assert len(receptors) == 3 + 2 + 1
    assert "$z^{(0)}_{1}$" not in labels


def test_highlighted_weight_is_labelled_and_coloured():
    fig = diagrams.weight_diagram(1, 1, 2)
    assert "$w^{(1)}_{1,2}$" in texts(fig)
    edges = fig.diagram._edges
    assert edges[(1, 1, 2)].get_color() == diagrams.HIGHLIGHT
    assert edges[(1, 2, 2)].get_color() == diagrams.EDGE_COLOR


def test_row_and_column_highlight_the_right_weights():
    row = diagrams.row_diagram(2, 2).diagram._edges
    assert {key for key, line in row.items() if line.get_color() == diagrams.HIGHLIGHT} == {
        (2, 2, 1), (2, 2, 2)}
    col = diagrams.column_diagram(2, 2).diagram._edges
    assert {key for key, line in col.items()
            if line.get_color() == diagrams.SECOND_HIGHLIGHT} == {(2, 1, 2), (2, 2, 2),
                                                                   (2, 3, 2)}
    assert "leaving" in " ".join(texts(diagrams.row_diagram(2, 2)))
    assert "arriving" in " ".join(texts(diagrams.column_diagram(2, 2)))


def test_forward_pass_writes_values_on_neurons_and_receptors():
    fig = diagrams.forward_pass_diagram(
        [6.1, 8.7], [[-0.314, 0.818, -0.417], [-0.07362, 0.02454], [0.0017178]],
        [[0, 0.818, 0], [0, 0.02454], [0.0017178]], decimals=3)
    labels = texts(fig)
    for value in ("6.100", "-0.314", "0.818", "-0.417", "-0.074", "0.025", "0.002"):
        assert value in labels
    assert "$z^{(1)}_{2}$" in labels  # the symbol moves above its box


@pytest.mark.parametrize("bad, message", [
    ([], "at least an input and an output layer"),
    ([3], "at least an input and an output layer"),
    ([2, 0, 1], r"layers\[1\] must be a positive whole number"),
    ([2, -3, 1], r"layers\[1\] must be a positive whole number"),
    ([2, 2.5, 1], r"layers\[1\] must be a positive whole number"),
    ([2, True, 1], r"layers\[1\] must be a positive whole number"),
    ("231", "must be a list of neuron counts"),
    (None, "must be a list of neuron counts"),
    ([2, 40, 1], "at most 16"),
])
def test_bad_layer_lists_raise_a_clear_value_error(bad, message):
    with pytest.raises(ValueError, match=message):
        diagrams.plain_network(bad)


def test_out_of_range_weights_and_values_are_rejected():
    with pytest.raises(ValueError, match="layer 0 has neurons 1..2, got neuron 3"):
        diagrams.weight_diagram(1, 3, 1)
    with pytest.raises(ValueError, match="weights exist for layers 1..3"):
        diagrams.weight_diagram(4, 1, 1)
    with pytest.raises(ValueError, match="needs 3 values, got 2"):
        diagrams.NetworkDiagram([2, 3, 1]).write_values(neurons={1: [1, 2]})
    with pytest.raises(ValueError, match="needs 2 receptor and neuron vectors"):
        diagrams.forward_pass_diagram([1, 2], [[1, 2, 3]], [[1, 2, 3]], layers=[2, 3, 1])


#: The width of the article's column on a 390 px phone, in CSS px, as the browser test
#: measures it (figures widen to it on a phone); the browser test is the real measurement.
PHONE_COLUMN = 358


def test_book_plots_keep_their_labels_legible_on_a_phone():
    fig, axes = diagrams.subplots(2, 1, height=4.5, sharex=True)
    for ax in axes:
        ax.plot([1, 2, 3], [3, 1, 2], label="a long legend entry for a line")
        ax.set_title("a title")
        ax.set_ylabel("cost J")
        ax.legend()
    axes[-1].set_xlabel("epoch")
    fig.tight_layout()
    png, metadata = diagrams.figure_png(fig)
    drawn = int.from_bytes(png[16:20], "big")
    shown = min(metadata["width"], PHONE_COLUMN)
    smallest = metadata["smallest_text_px"] * shown / drawn
    assert smallest >= 11, (f"the smallest label of a book plot is {smallest:.1f} CSS px on a "
                            f"phone ({shown} px wide); see PLOT_WIDTH and PLOT_STYLE")
    assert diagrams.smallest_text_points(fig) == diagrams.PLOT_FONT_POINTS


def test_the_site_never_shows_a_figure_narrower_than_legible(tmp_path):
    import base64
    import hashlib
    import json

    from nnbook import sphinx_site

    png, metadata = diagrams.figure_png(diagrams.network_with_cost())
    name = hashlib.sha256(png).hexdigest()
    notebook = tmp_path / "chapter.ipynb"
    notebook.write_text(json.dumps({"cells": [{"cell_type": "code", "outputs": [{
        "output_type": "display_data", "metadata": {"image/png": metadata},
        "data": {"image/png": base64.b64encode(png).decode()}}]}]}), encoding="utf-8")
    widths = sphinx_site.legible_widths([notebook])
    drawn = int.from_bytes(png[16:20], "big")
    # At that width its smallest label is 11 CSS px; a pixel narrower, it would be less.
    assert metadata["smallest_text_px"] * widths[name] / drawn >= 11
    assert metadata["smallest_text_px"] * (widths[name] - 1) / drawn < 11
    page = (f'<img alt="a" src="../_images/{name}.png" style="width: 900px;" />'
            f'<img alt="b" src="../_images/{"0" * 64}.png" />')
    shown = sphinx_site._legible_images(page, widths)
    assert f'style="min-width: {widths[name]}px; width: 900px;"' in shown
    assert shown.count("min-width") == 1


def test_figures_are_drawn_at_screen_resolution_while_nbgrader_grades(monkeypatch):
    # Feedback files get the figures at the size they are shown, in half the pixels each way.
    book_png, book = diagrams.figure_png(diagrams.network_with_cost())
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    graded_png, graded = diagrams.figure_png(diagrams.network_with_cost())
    pixels = [int.from_bytes(png[16:20], "big") for png in (book_png, graded_png)]
    assert abs(pixels[0] - 2 * pixels[1]) <= 2, pixels
    assert abs(book["width"] - graded["width"]) <= 1 and abs(book["height"] - graded["height"]) <= 1
    assert graded["smallest_text_px"] == book["smallest_text_px"] / 2
