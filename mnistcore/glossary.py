"""The app's words, each in a sentence or two: plain data, shown from every page (ui/glossary.py).

``GLOSSARY`` maps a term to its explanation, in the order a newcomer meets them; the
explanations use the same symbols as the pages' formulas (x, W, b, z, a, p, η, B).
"""
from __future__ import annotations

GLOSSARY: dict[str, str] = {
    "image, pixel": "An MNIST image is 28x28 = 784 pixels, each a number from 0 (background) to 255 "
                    "(ink). The network reads them as one row x of 784 numbers scaled to [0, 1].",
    "label, class": "The digit an image shows (0 to 9), written down by a person: what the network "
                    "should answer. Each of the ten possible answers is a class.",
    "one-hot": "A label written as ten numbers, all 0 except a 1 at the label's place: 3 becomes "
               "(0, 0, 0, 1, 0, 0, 0, 0, 0, 0). The output the network is trained towards.",
    "weight, bias": "The numbers the network learns. A unit multiplies each input by a weight (W), adds "
                    "them up and adds its bias (b): z = x W + b.",
    "layer, hidden unit": "A layer is a row of units that all read the previous layer's outputs. The "
                          "layers between input and output are hidden; each hidden unit is one detector.",
    "activation": "The function f a hidden unit applies to its sum z, such as ReLU max(0, z) or the "
                  "sigmoid. Without it, stacked layers would be one linear map.",
    "logit (score)": "An output unit's raw number z, before softmax. The largest logit is the "
                     "network's answer.",
    "softmax": "Turns the ten logits into probabilities that are positive and add up to 1: "
               "p_k = e^{z_k} / Σ_j e^{z_j}.",
    "loss": "One number that says how wrong the network is on a batch: cross-entropy -log p of the right "
            "class, or the mean squared error. Training makes it smaller.",
    "gradient": "For every weight, how much the loss changes when the weight moves a little "
                "(∂L/∂w). Backpropagation computes all of them at once, from the output back.",
    "backpropagation": "The chain rule applied layer by layer from the output to the input: each "
                       "layer's delta = ∂L/∂z comes from the next layer's.",
    "learning rate": "η, the step size: each step moves every weight by -η times its gradient. Too "
                     "large and training jumps about or diverges; too small and it crawls.",
    "gradient descent, SGD": "Repeatedly stepping every weight against its gradient. Stochastic (SGD): "
                             "each step's gradient comes from a random batch, not all images.",
    "batch": "The images used for one step (B of them). Full batch: all of them (one step per epoch); "
             "per-sample: one image per step; mini-batch: in between, usually 32 to 256.",
    "epoch": "One pass over the whole training set. With N images and batch size B, an epoch is "
             "about N / B steps.",
    "momentum, Adam": "Optimizers that remember past steps: momentum keeps moving in the direction "
                      "it has been going; Adam also scales each weight's step by its gradient's size.",
    "initialisation": "How the weights are drawn before training. Their scale decides whether the "
                      "signal survives many layers: He init for ReLU, Xavier for sigmoid and tanh.",
    "vanishing gradient": "Gradients that shrink layer by layer on the way back (sigmoid's slope is at "
                          "most 1/4), so the first layers barely learn.",
    "training / test set": "The network learns from the training images only; the 10,000 test images "
                           "are kept apart to measure how it does on images it has never seen.",
    "validation split": "Training images held out during training to watch for overfitting and choose "
                        "when to stop, so that the test set stays unseen.",
    "overfitting": "Learning the training images' quirks instead of the digits: training accuracy keeps "
                   "rising while test accuracy stalls and test loss climbs.",
    "early stopping": "Stopping training when the validation loss has not improved for a few epochs "
                      "(the patience) and keeping the best epoch's weights.",
    "dropout": "Switching off a random share p of the hidden units at every training step (never when "
               "scoring), so that no unit can rely on a few others: it fights overfitting.",
    "L2 regularisation": "Adding λ/2 times the sum of squared weights to the loss, which pulls every "
                         "weight a little towards 0 at each step: smaller weights, smoother answers.",
    "augmentation": "Training on slightly shifted and rotated copies of the images, new ones each "
                    "epoch: more variety without more data.",
    "accuracy": "The share of images whose most probable class is their label.",
    "confusion matrix": "A 10x10 table: row = the true digit, column = the network's answer. The "
                        "diagonal holds the right answers; everything else is a mistake.",
    "diverge": "A run diverges when its loss grows instead of shrinking, often to infinity: the "
               "learning rate is too large for the setup.",
    "seed": "The number that starts the random generator. Same settings and same seed: the same run, "
            "number for number.",
}
