"""Perceptual concepts, rule learners, the reasoner, tag assignments and their justifications."""
