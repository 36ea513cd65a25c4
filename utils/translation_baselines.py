"""Two translators without a neural network: the baselines a seq2seq model must beat (chapter 17).

* ``WordDictionary`` translates word by word. Each English word is replaced by the French word
  most associated with it in the training pairs, measured by the Dice coefficient
  ``2 c(e, f) / (c(e) + c(f))``, where ``c`` counts the training pairs that contain the word (or
  both words). Frequent words such as "." or "je" occur with everything; Dice divides their
  co-occurrence by their frequency, so "chat" rather than "." becomes the translation of "cat".
* ``NearestNeighbour`` translates by retrieval: it finds the training English sentence most
  similar to the input (cosine similarity of bags of words weighted by inverse document
  frequency, so rare words count more) and returns that sentence's first French translation.

Both read tokenised sentences (lists of strings), as ``utils.translation`` produces them.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict

import numpy as np


class WordDictionary:
    """Word-by-word translation with the Dice coefficient; unknown words are copied unchanged."""

    def __init__(self, pairs):
        if not pairs:
            raise ValueError("WordDictionary needs at least one (english, french) training pair")
        english, french, both = Counter(), Counter(), defaultdict(Counter)
        for source, target in pairs:
            source_words, target_words = set(source), set(target)
            english.update(source_words)
            french.update(target_words)
            for e in source_words:
                both[e].update(target_words)
        # max over (score, word) breaks ties by the word itself, so the dictionary does not depend on hash order
        self.table = {e: max((2 * n / (english[e] + french[f]), f) for f, n in both[e].items())[1] for e in english}

    def translate(self, sentence: list[str]) -> list[str]:
        return [self.table.get(word, word) for word in sentence]


class NearestNeighbour:
    """Retrieval: the first French translation of the most similar training English sentence."""

    def __init__(self, pairs):
        if not pairs:
            raise ValueError("NearestNeighbour needs at least one (english, french) training pair")
        translations = {}
        for source, target in pairs:
            translations.setdefault(tuple(source), target)  # the first translation of each sentence
        self.sources, self.targets = list(translations), list(translations.values())
        documents = Counter(word for source in self.sources for word in set(source))
        self.idf = {word: math.log(len(self.sources) / n) for word, n in documents.items()}
        postings = defaultdict(list)  # word -> (sentence index, weight) for each sentence that contains it
        norms = np.zeros(len(self.sources))
        for i, source in enumerate(self.sources):
            for word, count in Counter(source).items():
                weight = count * self.idf[word]
                postings[word].append((i, weight))
                norms[i] += weight**2
        self.postings = {word: (np.array([i for i, _ in rows]), np.array([w for _, w in rows]))
                         for word, rows in postings.items()}
        self.norms = np.sqrt(norms)

    def nearest(self, sentence: list[str]) -> int:
        """Index (into ``self.sources``) of the most similar training sentence; the first on a tie."""
        scores = np.zeros(len(self.sources))
        for word, count in Counter(sentence).items():
            if word in self.postings:
                rows, weights = self.postings[word]
                scores[rows] += count * self.idf[word] * weights  # each sentence occurs once per word
        return int(np.argmax(scores / np.maximum(self.norms, 1e-12)))

    def translate(self, sentence: list[str]) -> list[str]:
        return list(self.targets[self.nearest(sentence)])
