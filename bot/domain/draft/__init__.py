"""A draft quiz from an article: cues in its sentences, item skeletons, the draft's YAML.

- `article`: the article as sentences with their places in the text, and its words.
- `screening`: whether a text is an English article at all (before anything is drafted).
- `cues`: what a media-literacy trainer would ask about, found sentence by sentence
  (sources, hedges, figures, loaded words, the headline, names spelt two ways).
- `pairs`: passages that may conflict (different figures for one count, "surprised"
  against "unsurprisingly").
- `skeletons`: cues merged per sentence into item skeletons, ranked and capped.
- `emit`: the draft quiz file, with "TODO" where only a person can write.

Pure: the caller splits the sentences and passes the lexicons (services/drafts.py).
"""
