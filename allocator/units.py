"""Units, defined once: money in the model is M€ per year; prices and values per person are in €.

``EUR_TO_MEUR`` turns € into M€ (a value per person × persons → M€); ``EUR_PER_MEUR`` turns M€ per
inhabitant into € per inhabitant.
"""

EUR_PER_MEUR = 1e6
EUR_TO_MEUR = 1.0 / EUR_PER_MEUR
