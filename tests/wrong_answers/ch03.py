"""Typical wrong answers of chapter 3, the chain rule weight by weight
(see tests/test_wrong_answers.py)."""

CHAPTER = "03-chain-rule"

E2, E3 = "check_derivative_w3_21", "check_derivative_w2_21"
P2, E4, P1 = "check_derivative_w2", "check_derivative_w1_12", "check_derivative_w1"
PRACTICE_W2, PRACTICE_W1 = "Practice on W(2)", "Practice on W(1)"

WRONG = [
    # Exercise 2: derivative_w3_21
    dict(cell="derivative_w3_21", exercise=2, why="the other neuron of layer 2",
         replace=[("dz3_dw = x2[1]", "dz3_dw = x2[0]")], fails=[E2]),
    dict(cell="derivative_w3_21", exercise=2, why="sign of the error flipped",
         replace=[("x3[0] - y", "y - x3[0]")], fails=[E2]),
    dict(cell="derivative_w3_21", exercise=2, why="factor 2 of the square kept",
         replace=[("dJ_dx3 = x3[0] - y", "dJ_dx3 = 2 * (x3[0] - y)")], fails=[E2]),
    dict(cell="derivative_w3_21", exercise=2, why="the weight instead of the neuron",
         replace=[("dz3_dw = x2[1]", "dz3_dw = params['W3'][1, 0]")], fails=[E2]),
    dict(cell="derivative_w3_21", exercise=2, why="the global target instead of y",
         replace=[("x3[0] - y", "x3[0] - target")], fails=[E2]),
    dict(cell="derivative_w3_21", exercise=2, why="the first sample's neuron",
         replace=[("dz3_dw = x2[1]", "dz3_dw = forward_sample(X[0], params)[3][1]")],
         fails=[E2]),
    dict(cell="derivative_w3_21", exercise=2, why="the receptor instead of the neuron",
         replace=[("dz3_dw = x2[1]", "dz3_dw = z2[1]")], fails=[E2]),
    dict(cell="derivative_w3_21", exercise=2, why="the example's number",
         replace=[("return dJ_dx3 * dx3_dz3 * dz3_dw", "return -2.77298")], fails=[E2]),
    # Exercise 3: derivative_w2_21
    dict(cell="derivative_w2_21", exercise=3, why="the global W3 instead of params",
         replace=[('params["W3"][0, 0]', "W3[0, 0]")], fails=[E3]),
    dict(cell="derivative_w2_21", exercise=3, why="ReLU derivative left out",
         replace=[("dx2_1_dz2_1 = 1.0 if z2[0] > 0 else 0.0", "dx2_1_dz2_1 = 1.0")],
         fails=[E3]),
    dict(cell="derivative_w2_21", exercise=3, why="ReLU derivative of the other receptor",
         replace=[("z2[0] > 0", "z2[1] > 0")], fails=[E3]),
    dict(cell="derivative_w2_21", exercise=3, why="the neuron's value as its derivative",
         replace=[("dx2_1_dz2_1 = 1.0 if z2[0] > 0 else 0.0", "dx2_1_dz2_1 = x2[0]")],
         fails=[E3]),
    dict(cell="derivative_w2_21", exercise=3, why="the weight of the other path",
         replace=[('params["W3"][0, 0]', 'params["W3"][1, 0]')], fails=[E3]),
    dict(cell="derivative_w2_21", exercise=3, why="the neuron off by one",
         replace=[("dz2_1_dw = x1[1]", "dz2_1_dw = x1[0]")], fails=[E3]),
    dict(cell="derivative_w2_21", exercise=3, why="a weight of W2 instead of W3",
         replace=[('params["W3"][0, 0]', 'params["W2"][1, 0]')], fails=[E3]),
    dict(cell="derivative_w2_21", exercise=3, why="the global target instead of y",
         replace=[("(x3[0] - y)", "(x3[0] - target)")], fails=[E3]),
    dict(cell="derivative_w2_21", exercise=3, why="the first sample's gate",
         replace=[("1.0 if z2[0] > 0 else 0.0", "0.0")], fails=[E3]),
    # Practice on W(2): derivative_w2
    dict(cell="derivative_w2", exercise=PRACTICE_W2, why="book indices used as NumPy ones",
         replace=[("[j - 1, 0]", "[j, 0]"), ("z2[j - 1]", "z2[j]"), ("x1[i - 1]", "x1[i]")],
         fails=[P2]),
    dict(cell="derivative_w2", exercise=PRACTICE_W2, why="the gate picked by i",
         replace=[("z2[j - 1]", "z2[i - 1]")], fails=[P2]),
    dict(cell="derivative_w2", exercise=PRACTICE_W2, why="the neuron picked by j",
         replace=[("x1[i - 1]", "x1[j - 1]")], fails=[P2]),
    dict(cell="derivative_w2", exercise=PRACTICE_W2, why="the global W3 instead of params",
         replace=[('params["W3"][j - 1, 0]', "W3[j - 1, 0]")], fails=[P2]),
    dict(cell="derivative_w2", exercise=PRACTICE_W2, why="ReLU derivative left out",
         replace=[("1.0 if z2[j - 1] > 0 else 0.0", "1.0")], fails=[P2]),
    # Exercise 4: derivative_w1_12
    dict(cell="derivative_w1_12", exercise=4, why="ReLU derivative of layer 1 left out",
         replace=[("dx1_2_dz1_2 = 1.0 if z1[1] > 0 else 0.0", "dx1_2_dz1_2 = 1.0")],
         fails=[E4]),
    dict(cell="derivative_w1_12", exercise=4, why="one path only",
         replace=[("dJ_dz2_1 * W2[1, 0] + dJ_dz2_2 * W2[1, 1]", "dJ_dz2_2 * W2[1, 1]")],
         fails=[E4]),
    dict(cell="derivative_w1_12", exercise=4, why="the paths multiplied",
         replace=[("dJ_dz2_1 * W2[1, 0] + dJ_dz2_2 * W2[1, 1]",
                   "dJ_dz2_1 * W2[1, 0] * dJ_dz2_2 * W2[1, 1]")], fails=[E4]),
    dict(cell="derivative_w1_12", exercise=4, why="weights leaving the wrong neuron",
         replace=[("W2[1, 0]", "W2[0, 0]"), ("W2[1, 1]", "W2[0, 1]")], fails=[E4]),
    dict(cell="derivative_w1_12", exercise=4, why="weights arriving instead of leaving",
         replace=[("dJ_dz2_1 * W2[1, 0] + dJ_dz2_2 * W2[1, 1]",
                   "dJ_dz2_1 * W2[0, 1] + dJ_dz2_2 * W2[1, 1]")], fails=[E4]),
    dict(cell="derivative_w1_12", exercise=4, why="the other input",
         replace=[("dz1_2_dw = x[0]", "dz1_2_dw = x[1]")], fails=[E4]),
    dict(cell="derivative_w1_12", exercise=4, why="the gate of the wrong receptor",
         replace=[("z1[1] > 0", "z1[0] > 0")], fails=[E4]),
    dict(cell="derivative_w1_12", exercise=4, why="the global W3 instead of params",
         replace=[('W2, W3 = params["W2"], params["W3"]', 'W2 = params["W2"]')], fails=[E4]),
    dict(cell="derivative_w1_12", exercise=4, why="layer 2 gates left out",
         replace=[(" * (1.0 if z2[0] > 0 else 0.0)", ""),
                  (" * (1.0 if z2[1] > 0 else 0.0)", "")], fails=[E4]),
    dict(cell="derivative_w1_12", exercise=4, why="the global first sample's input",
         replace=[("dz1_2_dw = x[0]", "dz1_2_dw = x0[0]")], fails=[E4]),
    # Practice on W(1): derivative_w1
    dict(cell="derivative_w1", exercise=PRACTICE_W1, why="the bracket's row picked by i",
         replace=[("W2[j - 1, 0]", "W2[i - 1, 0]"), ("W2[j - 1, 1]", "W2[i - 1, 1]")],
         fails=[P1]),
    dict(cell="derivative_w1", exercise=PRACTICE_W1, why="the gate picked by i",
         replace=[("z1[j - 1]", "z1[i - 1]")], fails=[P1]),
    dict(cell="derivative_w1", exercise=PRACTICE_W1, why="ReLU derivative of layer 1 left out",
         replace=[("1.0 if z1[j - 1] > 0 else 0.0", "1.0")], fails=[P1]),
    dict(cell="derivative_w1", exercise=PRACTICE_W1, why="a column of W2 instead of a row",
         replace=[("W2[j - 1, 0]", "W2[0, j - 1]"), ("W2[j - 1, 1]", "W2[1, j - 1]")],
         fails=[P1]),
    dict(cell="derivative_w1", exercise=PRACTICE_W1, why="one path only",
         replace=[("dJ_dz2_1 * W2[j - 1, 0] + ", "")], fails=[P1]),
]

RIGHT = [
    dict(cell="derivative_w3_21", exercise=2, why="from the receptor z3",
         replace=[("dJ_dx3 = x3[0] - y", "dJ_dx3 = float(z3[0]) - y")]),
    dict(cell="derivative_w2_21", exercise=3, why="gate from the neuron, one line",
         code='def derivative_w2_21(x, y, params):\n'
              '    z1, x1, z2, x2, z3, x3 = forward_sample(x, params)\n'
              '    return (x3[0] - y) * params["W3"][0, 0] * float(x2[0] > 0) * x1[1]\n\n\n'
              'dj_dw2_21 = derivative_w2_21(X[0], y[0], params)'),
    dict(cell="derivative_w2", exercise=PRACTICE_W2, why="with np.heaviside",
         replace=[("1.0 if z2[j - 1] > 0 else 0.0", "np.heaviside(z2[j - 1], 0.0)")]),
    dict(cell="derivative_w1_12", exercise=4, why="with vectors",
         code='def derivative_w1_12(x, y, params):\n'
              '    z1, x1, z2, x2, z3, x3 = forward_sample(x, params)\n'
              '    dJ_dz2 = (x3[0] - y) * params["W3"][:, 0] * (z2 > 0)\n'
              '    return float(params["W2"][1] @ dJ_dz2) * (z1[1] > 0) * x[0]\n\n\n'
              'dj_dw1_12 = derivative_w1_12(X[0], y[0], params)'),
    dict(cell="derivative_w1", exercise=PRACTICE_W1, why="through derivative_w1_12's pattern",
         replace=[("dJ_dx1_j = dJ_dz2_1 * W2[j - 1, 0] + dJ_dz2_2 * W2[j - 1, 1]",
                   "dJ_dx1_j = np.dot(W2[j - 1], [dJ_dz2_1, dJ_dz2_2])")]),
]
