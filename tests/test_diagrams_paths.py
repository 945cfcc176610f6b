"""Chain-rule paths and backward deltas: the right parts highlighted, the right numbers written,
bad input refused with a clear ValueError."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.figure import Figure

from nnbook import diagrams

# The first sample of the example network (chapter 2's forward pass, typed in by hand).
X0 = [6.1, 8.7]
X1 = [0.0, 0.818, 0.0]
X2 = [0.0, 0.02454]
X3 = [0.0017178]
W1 = [[-0.08, 0.02, 0.06], [0.02, 0.08, -0.09]]
W2 = [[0.01, -0.01], [-0.09, 0.03], [0.07, 0.02]]
W3 = [[-0.05], [0.07]]
VALUES = {"x": [X0, X1, X2, X3], "W": [W1, W2, W3],
          "gate": [[0, 1, 0], [0, 1], [1]], "dJ_dx": [0.0017178 - 113]}


def texts(figure: Figure) -> list[str]:
    return [t.get_text() for t in figure.axes[0].texts]


def coloured(figure: Figure, colour: str) -> set[tuple]:
    diagram = figure.diagram
    parts = {("weight", *key): line for key, line in diagram._edges.items()}
    parts.update({("link", *key): line for key, line in diagram._links.items()})
    parts.update({("cost", key): line for key, line in diagram._cost_links.items()})
    return {part for part, line in parts.items() if line.get_color() == colour}


def test_the_cost_node_closes_the_network():
    fig = diagrams.network_with_cost([2, 3, 2, 1])
    assert "$J$" in texts(fig)
    assert set(fig.diagram._cost_links) == {1}


def test_an_output_weight_has_one_path_of_three_local_derivatives():
    diagram = diagrams.NetworkDiagram([2, 3, 2, 1], cost=True)
    assert diagram.path_parts(3, 1, 1) == [("weight", 3, 1, 1), ("link", 3, 1), ("cost", 1)]
    fig = diagrams.chain_rule_diagram(3, 1, 1)
    assert coloured(fig, diagrams.HIGHLIGHT) == {("weight", 3, 1, 1), ("link", 3, 1),
                                                 ("cost", 1)}
    labels = texts(fig)
    assert "$w^{(3)}_{1,1}$" in labels
    assert "$\\partial z^{(3)}_{1} / \\partial w^{(3)}_{1,1}$" in labels
    assert "$\\partial x^{(3)}_{1} / \\partial z^{(3)}_{1}$" in labels
    assert "$\\partial J / \\partial x^{(3)}_{1}$" in labels


def test_a_first_layer_weight_has_two_paths_and_the_known_part_in_its_own_colour():
    fig = diagrams.chain_rule_diagram(1, 2, 1, VALUES, computed_from=2, known=[0, -7.90988],
                                      decimals=2)
    new = coloured(fig, diagrams.HIGHLIGHT)
    known = coloured(fig, diagrams.COMPUTED)
    assert new == {("weight", 1, 2, 1), ("link", 1, 1), ("weight", 2, 1, 1),
                   ("weight", 2, 1, 2)}
    assert known == {("link", 2, 1), ("link", 2, 2), ("weight", 3, 1, 1), ("weight", 3, 2, 1),
                     ("link", 3, 1), ("cost", 1)}
    labels = texts(fig)
    # The local derivatives of the first sample, on the parts where they are multiplied.
    for label in ("$x^{(0)}_{2} = 8.70$", "$a'(z^{(1)}_{1}) = 0$", "$w^{(2)}_{1,1} = 0.01$",
                  "$w^{(2)}_{1,2} = -0.01$", "$a'(z^{(2)}_{2}) = 1$", "$w^{(3)}_{2,1} = 0.07$",
                  "$\\partial J / \\partial x^{(3)}_{1} = -113.00$",
                  "$\\partial J / \\partial z^{(2)}_{1} = 0.00$",
                  "$\\partial J / \\partial z^{(2)}_{2} = -7.91$"):
        assert label in labels, label
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert any("already computed" in text for text in legend)


def test_only_new_leaves_the_known_part_unlabelled():
    fig = diagrams.chain_rule_diagram(2, 3, 2, VALUES, computed_from=3, only_new=True)
    labels = texts(fig)
    assert "$x^{(1)}_{3} = 0.00$" in labels
    assert "$w^{(3)}_{2,1} = 0.07$" in labels  # dz(3)/dx(2)_2 belongs to the new part
    assert not any("partial J / \\partial x" in label for label in labels)


def test_paths_fan_out_through_every_later_layer():
    diagram = diagrams.NetworkDiagram([3, 4, 3, 2], cost=True)
    parts = diagram.path_parts(1, 2, 3)
    weights = [p for p in parts if p[0] == "weight"]
    # the weight itself, 3 lines leaving x(1)_3, then all 3 * 2 lines of the last layer
    assert len(weights) == 1 + 3 + 6
    assert [p for p in parts if p[0] == "cost"] == [("cost", 1), ("cost", 2)]


def test_no_value_is_written_as_minus_zero():
    values = dict(VALUES, x=[X0, [-0.0, 0.818, -0.0], X2, X3])
    fig = diagrams.chain_rule_diagram(2, 1, 2, values)
    assert not any("-0.00" in label for label in texts(fig))
    fig = diagrams.delta_diagram([[-0.0, -0.237, -0.0], [0.0, -7.9], [-113.0]])
    assert not any(label.startswith("-0.0") for label in texts(fig))


def test_deltas_flow_backwards_and_stop_where_a_delta_is_zero():
    fig = diagrams.delta_diagram([[0.0, -0.237296, 0.0], [0.0, -7.90988], [-112.998]],
                                 decimals=3)
    labels = texts(fig)
    for label in ("-0.237", "-7.910", "-112.998", "$\\delta^{(2)}_{2}$"):
        assert label in labels
    active = coloured(fig, diagrams.HIGHLIGHT)
    assert ("weight", 2, 1, 2) in active and ("weight", 2, 1, 1) not in active
    assert ("link", 1, 2) in active and ("link", 1, 1) not in active
    assert ("cost", 1) in active
    faded = coloured(fig, diagrams.FADED)
    assert ("weight", 1, 1, 1) in faded
    arrows = [child for child in fig.axes[0].get_children()
              if type(child).__name__ == "Annotation"]
    # Every active line has an arrowhead, except layer 1's weights: the inputs get no delta.
    assert len(arrows) == len([part for part in active if part[:2] != ("weight", 1)])
    assert ("weight", 1, 1, 2) in active


def test_symbolic_delta_diagram_names_every_receptor():
    labels = texts(diagrams.delta_diagram())
    assert sum(label.startswith("$\\delta") for label in labels) == 3 + 2 + 1


@pytest.mark.parametrize("call, message", [
    (lambda: diagrams.chain_rule_diagram(3, 3, 1), "layer 2 has neurons 1..2, got neuron 3"),
    (lambda: diagrams.chain_rule_diagram(4, 1, 1), "weights exist for layers 1..3"),
    (lambda: diagrams.chain_rule_diagram(2, 1, 1, computed_from=2),
     r"must be one of \[3\], got 2"),
    (lambda: diagrams.chain_rule_diagram(3, 1, 1, computed_from=4),
     "none \\(no later layer\\)"),
    (lambda: diagrams.chain_rule_diagram(2, 1, 1, known=[1.0]), "pass computed_from too"),
    (lambda: diagrams.chain_rule_diagram(2, 1, 1, computed_from=3, known=[1.0, 2.0]),
     "needs 1 values, got 2"),
    (lambda: diagrams.chain_rule_diagram(2, 1, 1, {"x": [X0, X1, X2, X3]}),
     r"missing \['W', 'gate', 'dJ_dx'\]"),
    (lambda: diagrams.chain_rule_diagram(2, 1, 1, dict(VALUES, gate=[[0, 1, 0], [0, 1]])),
     r"values\['gate'\] must be a list of 3 items"),
    (lambda: diagrams.chain_rule_diagram(2, 1, 1, dict(VALUES, W=[W1, W3, W3])),
     r"values\['W'\]\[1\] has shape \(2, 1\); W\(2\) must have shape \(3, 2\)"),
    (lambda: diagrams.chain_rule_diagram(2, 1, 1, dict(VALUES, dJ_dx="big")),
     "must be numbers"),
    (lambda: diagrams.chain_rule_diagram(2, 1, 1, [1, 2]), "values must be a dict"),
    (lambda: diagrams.delta_diagram([[1, 2, 3], [1, 2]]), "list of 3 vectors"),
    (lambda: diagrams.delta_diagram(np.zeros(6)), "list of 3 vectors"),
    (lambda: diagrams.delta_diagram([[1, 2], [1, 2], [1]]),
     r"deltas\[0\] \(layer 1\) needs 3 values, got 2"),
    (lambda: diagrams.NetworkDiagram([2, 1]).highlight_paths(1, 1, 1), "cost=True"),
    (lambda: diagrams.NetworkDiagram([2, 1], cost=True).write_local_derivatives(),
     "call highlight_paths"),
    (lambda: diagrams.NetworkDiagram([2, 1], cost=True, receptors=False).show_deltas(),
     "receptors=True"),
    (lambda: diagrams.NetworkDiagram([2, 2, 1], cost=True).mark_known(3), "layers 1..2"),
])
def test_bad_input_raises_a_clear_value_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_one_weight_per_diagram():
    diagram = diagrams.NetworkDiagram([2, 2, 1], cost=True).highlight_paths(1, 1, 1)
    with pytest.raises(ValueError, match="draw a new NetworkDiagram"):
        diagram.highlight_paths(1, 2, 1)


def test_the_legend_gets_room_without_shrinking_the_drawing():
    def inches_per_unit(figure):
        width, height = figure.get_size_inches()
        (x0, x1), (y0, y1) = figure.axes[0].get_xlim(), figure.axes[0].get_ylim()
        return min(width / (x1 - x0), height / (y1 - y0))

    plain = diagrams.NetworkDiagram([2, 3, 2, 1], cost=True).figure
    with_legend = diagrams.chain_rule_diagram(3, 2, 1)
    assert with_legend.get_size_inches()[1] > plain.get_size_inches()[1]
    assert inches_per_unit(with_legend) == pytest.approx(inches_per_unit(plain))


def test_only_new_names_the_known_receptor_derivatives_even_without_values():
    labels = texts(diagrams.chain_rule_diagram(1, 1, 2, computed_from=2, only_new=True))
    assert "$\\partial J / \\partial z^{(2)}_{1}$" in labels
    assert "$\\partial J / \\partial z^{(2)}_{2}$" in labels
    assert not any("partial x^{(3)}" in label for label in labels)
