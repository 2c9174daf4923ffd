"""`make bench`: figures measured against baselines taken in the same run on the same machine (issue 9).

Every figure is a ratio (project / baseline), each side measured in rounds; a figure reports the median
ratio of at least three rounds with its min and max. Nothing here runs in `make test`.
"""
