"""Home: what the app teaches, the order to visit the pages, and where the data comes from."""
import streamlit as st
from ui.experiments import home_section
from ui.router import route_through_app

route_through_app()  # a deep link after a server start: go through app.py

st.title("How a neural network learns to read digits")
st.markdown(
    """
This app takes apart a small neural network, a multilayer perceptron written in plain NumPy,
while it learns to read handwritten digits. Every number you see is computed live by the
`mnistcore` engine; nothing is pre-recorded. Visit the pages in this order:

1. **Dataset**: what the network learns from. Browse the 70,000 images, look at one image's
   784 numbers, check how balanced the classes are.
2. **Gradient descent**: how learning works, on small functions you can see: a ball rolling
   downhill, and what the learning rate, momentum and Adam change.
3. **One step**: one training step of the network, number by number: the forward pass, the
   loss, the gradients backpropagation finds and the update they make.
4. **Train**: train a network yourself. Move the sliders, press **Train**, and watch loss and
   accuracy move; then see its mistakes and what its first layer learned.
5. **Inside the network**: why it learns or fails: how gradients flow through the layers, dead
   units, how big a network should be, overfitting and when to stop, augmentation, robustness.
6. **Lab**: poke the network. Train it a batch at a time, see how a hidden layer arranges the
   images, switch a neuron off, and let it say *not sure*.
7. **Draw**: draw a digit and see what the network sees (the drawing turned into an MNIST-style
   28x28 image) and what it thinks (the probability of each class).

The data set used by every page is chosen in the sidebar. Most settings that define a page's view
are kept in the address bar, so a link reproduces what you see; what you train, draw or upload stays
in this browser session only, and a link cannot carry it.
"""
)

home_section()  # the guided experiments as links, and the lesson-link form

st.subheader("Data and credits")
st.markdown(
    """
- **MNIST**, the database of handwritten digits by Yann LeCun, Corinna Cortes and
  Christopher J.C. Burges: 60,000 training and 10,000 test images. Licence: CC BY-SA 3.0.
- **Fashion-MNIST** by Zalando Research (Han Xiao, Kashif Rasul, Roland Vollgraf): the same
  format with ten kinds of clothing instead of digits, where it is installed. Licence: MIT.
"""
)
