"""The fixed multilingual stop list of story terms and entities (Beam-free).

Part of the feature version (``transforms.core.dedup_config.feature_version``):
changing it changes stored features, so an index built with another list is refused.
"""

from __future__ import annotations

__all__ = ["STOP_WORDS"]

# Function words (and web boilerplate) of the pipeline's main languages that
# survive the ``min_term_len`` cut. Fixed in code: changing it changes features.
STOP_WORDS = frozenset(
    """
    about above after again against also although among another around because been before
    being below between both came come could does doing down during each either even every
    from further have having here hers herself himself into itself just last less like made
    make many more most much must myself never only other ours over same says said should
    since some still such than that their theirs them themselves then there these they this
    those though through under until very well were what when where whether which while whom
    whose will with within without would year years your yours yourself told including
    however click share email facebook twitter instagram whatsapp linkedin newsletter
    subscribe photo photos image images caption gallery video copyright reserved rights
    advertisement read news reuter reuters afp aber alle allem allen aller alles andere
    anderen auch dass denn derem deren dessen diese diesem diesen dieser dieses doch durch
    eine einem einen einer eines etwa haben hatte hatten hier immer jetzt kann keine können
    mehr muss nach nicht noch nur oder schon sein seine seinem seinen seiner sich sind soll
    sollen sowie über unter viel vom von vor wird werden wurde wurden zwischen sagte heute
    jahr jahre jahren como con cuando desde donde durante entre esta este esto estos está
    hace hasta más mismo muy otra otras otro otros para pero porque puede según sido sobre
    también tiene todo todos tras fueron había han ser son sus una unos unas años dijo aussi
    autre avant avec cette ces comme dans depuis deux dont elle elles être leur leurs mais
    même moins notre nous pendant peut plus pour quand que qui sans selon sont sous très
    tout tous toute toutes vous été était avait fait ans année alla allo anche ancora cosa
    dalla dalle degli della delle dello dopo essere fatto fra gli hanno loro molto nella
    nelle nello negli non oggi ogni però più poi prima quando quello questa questo quella
    sono stata stato suoi sulla tra tutti tutto uno anni anno było być dla jak jednak jego
    jest jej już lub może nad nie oraz przez przy roku się tak także tego tej też tylko
    które który która więc wszystko zostać został została żeby jako kiedy было быть года
    году для его если есть или как когда который которые которых также только уже что чтобы
    это этого этом при после более будет были была они она ancak bile bir biri bu çok daha
    değil diye gibi göre için ile ise kadar olan olarak olduğu sonra şey şu tarafından yıl
    yılında ayrıca
    """.split()  # noqa: SIM905
)
