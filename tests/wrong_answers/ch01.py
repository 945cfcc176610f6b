"""Typical wrong answers of chapter 1, notation (see tests/test_wrong_answers.py)."""

CHAPTER = "01-notation"

SHAPES = "check_parameter_shapes"
COUNT = "check_count_parameters"
LOOKUP = "check_weight_lookup"

WRONG = [
    # Warm-up A: parameter_shapes
    dict(cell="parameter_shapes", exercise="Warm-up A", why="W transposed",
         replace=[("(layers_dims[l - 1], layers_dims[l])", "(layers_dims[l], layers_dims[l - 1])")],
         fails=[SHAPES]),
    dict(cell="parameter_shapes", exercise="Warm-up A", why="bias as a column",
         replace=[("(1, layers_dims[l])", "(layers_dims[l], 1)")], fails=[SHAPES]),
    dict(cell="parameter_shapes", exercise="Warm-up A", why="bias as a 1-D shape",
         replace=[("(1, layers_dims[l])", "(layers_dims[l],)")], fails=[SHAPES]),
    dict(cell="parameter_shapes", exercise="Warm-up A", why="bias sized by the layer before",
         replace=[("(1, layers_dims[l])", "(1, layers_dims[l - 1])")], fails=[SHAPES]),
    dict(cell="parameter_shapes", exercise="Warm-up A", why="keys counted from 0",
         replace=[("range(1, len(layers_dims))", "range(len(layers_dims) - 1)"),
                  ("(layers_dims[l - 1], layers_dims[l])", "(layers_dims[l], layers_dims[l + 1])"),
                  ("(1, layers_dims[l])", "(1, layers_dims[l + 1])")],
         fails=[SHAPES]),
    dict(cell="parameter_shapes", exercise="Warm-up A", why="a loop fixed to three layers",
         replace=[("range(1, len(layers_dims))", "range(1, 4)")], fails=[SHAPES]),
    dict(cell="parameter_shapes", exercise="Warm-up A", why="shapes as lists",
         replace=[("(layers_dims[l - 1], layers_dims[l])", "[layers_dims[l - 1], layers_dims[l]]"),
                  ("(1, layers_dims[l])", "[1, layers_dims[l]]")],
         fails=[SHAPES]),
    dict(cell="parameter_shapes", exercise="Warm-up A", why="the example's shapes written out",
         code='def parameter_shapes(layers_dims):\n'
              '    return {"W1": (2, 3), "b1": (1, 3), "W2": (3, 2), "b2": (1, 2),\n'
              '            "W3": (2, 1), "b3": (1, 1)}',
         fails=[SHAPES]),
    # Warm-up B: count_parameters
    dict(cell="count_parameters", exercise="Warm-up B", why="biases forgotten",
         replace=[("layers_dims[l - 1] * layers_dims[l] + layers_dims[l]",
                   "layers_dims[l - 1] * layers_dims[l]")], fails=[COUNT]),
    dict(cell="count_parameters", exercise="Warm-up B", why="a bias per input neuron",
         replace=[("layers_dims[l - 1] * layers_dims[l] + layers_dims[l]",
                   "layers_dims[l - 1] * layers_dims[l] + layers_dims[l - 1]")], fails=[COUNT]),
    dict(cell="count_parameters", exercise="Warm-up B", why="sum instead of product",
         replace=[("layers_dims[l - 1] * layers_dims[l] + layers_dims[l]",
                   "layers_dims[l - 1] + layers_dims[l] + layers_dims[l]")], fails=[COUNT]),
    dict(cell="count_parameters", exercise="Warm-up B", why="last layer skipped",
         replace=[("range(1, len(layers_dims))", "range(1, len(layers_dims) - 1)")],
         fails=[COUNT]),
    dict(cell="count_parameters", exercise="Warm-up B", why="biases for the input layer too",
         replace=[("for l in range(1, len(layers_dims)))",
                   "for l in range(1, len(layers_dims))) + layers_dims[0]")], fails=[COUNT]),
    dict(cell="count_parameters", exercise="Warm-up B", why="the example's count returned",
         replace=[("return sum(layers_dims[l - 1] * layers_dims[l] + layers_dims[l]\n"
                   "               for l in range(1, len(layers_dims)))", "return 20")],
         fails=[COUNT]),
    dict(cell="count_parameters", exercise="Warm-up B", why="a float, not an int",
         replace=[("return sum(", "return float(sum("),
                  ("for l in range(1, len(layers_dims)))",
                   "for l in range(1, len(layers_dims))))")],
         fails=[COUNT]),
    # Warm-up C: weight, weights_leaving, weights_arriving
    dict(cell="weight_lookup", exercise="Warm-up C", why="book indices used as NumPy indices",
         replace=[("W[i - 1, j - 1]", "W[i, j]")], fails=[LOOKUP]),
    dict(cell="weight_lookup", exercise="Warm-up C", why="i and j swapped",
         replace=[("W[i - 1, j - 1]", "W[j - 1, i - 1]")], fails=[LOOKUP]),
    dict(cell="weight_lookup", exercise="Warm-up C", why="rows and columns swapped",
         replace=[("return W[i - 1, :]", "return W[:, i - 1]"),
                  ("return W[:, j - 1]", "return W[j - 1, :]")], fails=[LOOKUP]),
    dict(cell="weight_lookup", exercise="Warm-up C", why="leaving without the - 1",
         replace=[("return W[i - 1, :]", "return W[i, :]")], fails=[LOOKUP]),
    dict(cell="weight_lookup", exercise="Warm-up C", why="arriving as a 2-D column",
         replace=[("return W[:, j - 1]", "return W[:, j - 1:j]")], fails=[LOOKUP]),
    dict(cell="weight_lookup", exercise="Warm-up C", why="the global W2 instead of W",
         replace=[("return W[i - 1, j - 1]", "return W2[i - 1, j - 1]"),
                  ("return W[i - 1, :]", "return W2[i - 1, :]"),
                  ("return W[:, j - 1]", "return W2[:, j - 1]")], fails=[LOOKUP]),
    dict(cell="weight_lookup", exercise="Warm-up C", why="flat index with the wrong stride",
         replace=[("return W[i - 1, j - 1]", "return W.flat[(i - 1) * W.shape[0] + j - 1]")],
         fails=[LOOKUP]),
    dict(cell="weight_lookup", exercise="Warm-up C", why="arriving counted from the end",
         replace=[("return W[:, j - 1]", "return W[:, -j]")], fails=[LOOKUP]),
]

RIGHT = [
    dict(cell="parameter_shapes", exercise="Warm-up A", why="a comprehension over zip",
         code='def parameter_shapes(layers_dims):\n'
              '    shapes = {}\n'
              '    pairs = zip(layers_dims[:-1], layers_dims[1:])\n'
              '    for l, (n_in, n_out) in enumerate(pairs, start=1):\n'
              '        shapes.update({f"W{l}": (n_in, n_out), f"b{l}": (1, n_out)})\n'
              '    return shapes'),
    dict(cell="count_parameters", exercise="Warm-up B", why="from parameter_shapes",
         code='import numpy as np\n\n\n'
              'def count_parameters(layers_dims):\n'
              '    return sum(int(np.prod(shape))\n'
              '               for shape in parameter_shapes(layers_dims).values())\n\n\n'
              'n_params = count_parameters([2, 3, 2, 1])\n'
              'print(f"Our 2-3-2-1 network has {n_params} parameters.")'),
    dict(cell="count_parameters", exercise="Warm-up B", why="numpy integers and a literal",
         code='import numpy as np\n\n\n'
              'def count_parameters(layers_dims):\n'
              '    dims = np.array(layers_dims)\n'
              '    return np.sum(dims[:-1] * dims[1:]) + np.sum(dims[1:])\n\n\n'
              'n_params = 20'),
    dict(cell="weight_lookup", exercise="Warm-up C", why="chained indexing and copies",
         code='def weight(W, i, j):\n'
              '    return float(W[i - 1][j - 1])\n\n\n'
              'def weights_leaving(W, i):\n'
              '    return W[i - 1].copy()\n\n\n'
              'def weights_arriving(W, j):\n'
              '    return W.T[j - 1]'),
]
