"""Keras -> TensorFlow.js export (`python -m convert`) and its parity check against Keras
(`python -m convert.parity`)."""
