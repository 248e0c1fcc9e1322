"""mnistcore: a small, readable NumPy engine that learns to read handwritten digits.

Nothing here imports Streamlit or Plotly; figure builders live in ``mnistcore.figures``.
"""
