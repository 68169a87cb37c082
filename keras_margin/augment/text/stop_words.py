"""English stop words: words that the synonym operations never replace or insert from.

Replacing "the" or "of" by a WordNet synonym ("the" has none; "of" has none, but "be"
has "exist", "equal", "constitute", ...) changes the grammar of a sentence rather than
its wording, so Wei & Zou (2019) exclude a stop-word list from synonym replacement.
This list holds English function words (articles, pronouns, auxiliaries, prepositions,
conjunctions) and a few frequent adverbs, all lower case.
"""

ENGLISH = tuple(
    sorted(
        set(
            """
a an the this that these those
i me my mine myself we us our ours ourselves you your yours yourself yourselves
he him his himself she her hers herself it its itself they them their theirs
themselves one ones
what which who whom whose when where why how whether
am is are was were be been being have has had having do does did doing done
will would shall should can could may might must ought
not no nor never none
and or but if then else than so because as until while although though unless
of at by for with about against between into through during before after above
below to from up down in out on off over under again further once upon within
without toward towards onto across along around among per via
here there all any both each few more most other some such only own same too very
just also even still yet ever s t don don't doesn't didn't isn't aren't wasn't
weren't won't wouldn't can't cannot couldn't shouldn't i'm you're he's she's it's
we're they're i've you've we've they've i'd you'd he'd she'd we'd they'd i'll
you'll he'll she'll we'll they'll let's that's there's what's who's
""".split()
        )
    )
)
