"""The namespaces of whytag's graph, in one place; the wt: terms checked against the ontology.

Instance IRIs (tracks, graphs, models, tags) are built in kg.iris.
"""

from rdflib import Namespace, URIRef
from rdflib.namespace import DC, FOAF, OWL, PROV, RDF, RDFS, SKOS, XSD, DefinedNamespace

WT_NS = "https://w3id.org/whytag/ontology#"
MO = Namespace("http://purl.org/ontology/mo/")
KEYS = Namespace("http://purl.org/NET/c4dm/keys.owl#")
CHORD = Namespace("http://purl.org/ontology/chord/")
QUDT = Namespace("http://qudt.org/schema/qudt/")
UNIT = Namespace("http://qudt.org/vocab/unit/")


class WT(DefinedNamespace):
    """The terms the ontology's Turtle files declare (tests/ontology checks the two agree): an unknown
    term, such as a typo, raises AttributeError instead of minting an IRI nobody declared."""

    _NS = Namespace(WT_NS)
    _fail = True

    # ontology/whytag.ttl
    AudioFile: URIRef
    ChordEvent: URIRef
    Condition: URIRef
    Counterfactual: URIRef
    DnnGroup: URIRef
    DynamicsFamily: URIRef
    Evaluation: URIRef
    Extraction: URIRef
    Extractor: URIRef
    Feature: URIRef
    FeatureEffect: URIRef
    FeatureFamily: URIRef
    FeatureGroup: URIRef
    FormFamily: URIRef
    HarmonyFamily: URIRef
    Justification: URIRef
    LevelThreshold: URIRef
    LinearTerm: URIRef
    MelodyFamily: URIRef
    ModelSet: URIRef
    PerceptualLevel: URIRef
    RhythmFamily: URIRef
    Rule: URIRef
    ShippedModelSet: URIRef
    SignalGroup: URIRef
    SymbolicGroup: URIRef
    TagAssignment: URIRef
    TagCount: URIRef
    TagModel: URIRef
    TagScheme: URIRef
    Tagging: URIRef
    TimbreFamily: URIRef
    TonalityFamily: URIRef
    Track: URIRef
    artistCredit: URIRef
    bodyClass: URIRef
    byteSize: URIRef
    categoryLabels: URIRef
    center: URIRef
    channels: URIRef
    chordSymbol: URIRef
    coefficient: URIRef
    countedFor: URIRef
    conditionCount: URIRef
    familyOrder: URIRef
    contribution: URIRef
    countedTag: URIRef
    decisionChangesIf: URIRef
    decisionThreshold: URIRef
    defaultUnit: URIRef
    duration: URIRef
    effect: URIRef
    evaluatedLearner: URIRef
    falseText: URIRef
    feature: URIRef
    featureAlias: URIRef
    featureName: URIRef
    forTag: URIRef
    format: URIRef
    genreText: URIRef
    fromModelSet: URIRef
    hasCondition: URIRef
    hasEffect: URIRef
    hasEvaluation: URIRef
    hasLevel: URIRef
    hasLinearTerm: URIRef
    hasRule: URIRef
    hasTagModel: URIRef
    inFamily: URIRef
    inGroup: URIRef
    inTrack: URIRef
    ingestedAt: URIRef
    inputFeature: URIRef
    intercept: URIRef
    justifiedBy: URIRef
    learner: URIRef
    level: URIRef
    link: URIRef
    logit: URIRef
    lowerBound: URIRef
    meanScore: URIRef
    measures: URIRef
    metric: URIRef
    missingAsAverage: URIRef
    next: URIRef
    offset: URIRef
    onFeature: URIRef
    onset: URIRef
    operator: URIRef
    path: URIRef
    perceptual: URIRef
    precision: URIRef
    predicted: URIRef
    protocol: URIRef
    rule: URIRef
    sampleRate: URIRef
    schemaDigest: URIRef
    score: URIRef
    sha256: URIRef
    singleLabel: URIRef
    softwareVersion: URIRef
    sparql: URIRef
    support: URIRef
    tag: URIRef
    taggedAs: URIRef
    tagCount: URIRef
    threshold: URIRef
    thresholdSource: URIRef
    track: URIRef
    trackCount: URIRef
    trainingMaximum: URIRef
    trainingMinimum: URIRef
    trainingSet: URIRef
    trueText: URIRef
    upperBound: URIRef
    valueCount: URIRef
    vocabulary: URIRef
    weight: URIRef

    # ontology/levels.ttl
    LoudnessLoud: URIRef
    LoudnessLoudThreshold: URIRef
    LoudnessModerate: URIRef
    LoudnessModerateThreshold: URIRef
    LoudnessQuiet: URIRef
    LoudnessQuietThreshold: URIRef
    ModeMajor: URIRef
    ModeMajorThreshold: URIRef
    ModeMinor: URIRef
    ModeMinorThreshold: URIRef
    PerceptualLevels: URIRef
    TempoFast: URIRef
    TempoFastThreshold: URIRef
    TempoModerate: URIRef
    TempoModerateThreshold: URIRef
    TempoSlow: URIRef
    TempoSlowThreshold: URIRef

    # ontology/harmony.ttl
    ChordQuality: URIRef
    DegreeFlatII: URIRef
    DegreeFlatIII: URIRef
    DegreeFlatVI: URIRef
    DegreeFlatVII: URIRef
    DegreeI: URIRef
    DegreeII: URIRef
    DegreeIII: URIRef
    DegreeIV: URIRef
    DegreeSharpIV: URIRef
    DegreeV: URIRef
    DegreeVI: URIRef
    DegreeVII: URIRef
    DiminishedTriad: URIRef
    Dominant: URIRef
    DominantSeventh: URIRef
    FunctionalChord: URIRef
    KeyMode: URIRef
    MajorKey: URIRef
    MajorKeyAppliedRoot: URIRef
    MajorMode: URIRef
    MajorThirdQuality: URIRef
    MajorTriad: URIRef
    MinorKey: URIRef
    MinorKeyAppliedRoot: URIRef
    MinorMode: URIRef
    MinorTriad: URIRef
    ScaleDegree: URIRef
    SecondaryDominant: URIRef
    Subdominant: URIRef
    Tonic: URIRef
    degree: URIRef
    inKey: URIRef
    mode: URIRef
    quality: URIRef
    rootPitchClass: URIRef
    semitones: URIRef
    tonicPitchClass: URIRef

    # ontology/features.ttl
    articulation: URIRef
    atonality: URIRef
    beatIntervalRegularity: URIRef
    beatsLoud: URIRef
    bpm: URIRef
    chordsChangesRate: URIRef
    chordsNumberRate: URIRef
    danceability: URIRef
    dissonance: URIRef
    dom: URIRef
    domDom: URIRef
    domDomDom: URIRef
    domDomSub: URIRef
    domDomTonic: URIRef
    domSub: URIRef
    domSubDom: URIRef
    domSubSub: URIRef
    domTonic: URIRef
    domTonicDom: URIRef
    domTonicSub: URIRef
    dynamicComplexity: URIRef
    globDom: URIRef
    globDomDom: URIRef
    globDomGlob: URIRef
    globDomSub: URIRef
    globDomTonic: URIRef
    globGlob: URIRef
    globGlobDom: URIRef
    globGlobGlob: URIRef
    globGlobSub: URIRef
    globSub: URIRef
    globSubDom: URIRef
    globSubGlob: URIRef
    globSubSub: URIRef
    integratedLoudness: URIRef
    key: URIRef
    keyStrength: URIRef
    length: URIRef
    loudness: URIRef
    loudnessRange: URIRef
    melodicRange: URIRef
    melody: URIRef
    mfcc10: URIRef
    mfcc11: URIRef
    mfcc12: URIRef
    mfcc13: URIRef
    mfcc1: URIRef
    mfcc2: URIRef
    mfcc3: URIRef
    mfcc4: URIRef
    mfcc5: URIRef
    mfcc6: URIRef
    mfcc7: URIRef
    mfcc8: URIRef
    mfcc9: URIRef
    minorness: URIRef
    noteDensity: URIRef
    onsetRate: URIRef
    pitchSalience: URIRef
    polyphony: URIRef
    rhythmComplexity: URIRef
    rhythmStability: URIRef
    scaleMajor: URIRef
    spectralCentroid: URIRef
    spectralComplexity: URIRef
    spectralDecrease: URIRef
    spectralEnergybandHigh: URIRef
    spectralEnergybandLow: URIRef
    spectralEnergybandMiddleHigh: URIRef
    spectralEnergybandMiddleLow: URIRef
    spectralEntropy: URIRef
    spectralFlux: URIRef
    spectralRolloff: URIRef
    spectralSpread: URIRef
    sub: URIRef
    subDom: URIRef
    subDomDom: URIRef
    subDomSub: URIRef
    subDomTonic: URIRef
    subSub: URIRef
    subSubDom: URIRef
    subSubSub: URIRef
    tuningFrequency: URIRef
    vocalInstrumental: URIRef
    zerocrossingrate: URIRef


# Each term also as a class attribute: found without the metaclass's lookup, as often as tagging reads them.
for _term in WT.__annotations__:
    type.__setattr__(WT, _term, WT._NS[_term])

PREFIXES = {
    "wt": WT._NS, "mo": MO, "keys": KEYS, "chord": CHORD, "qudt": QUDT, "unit": UNIT,
    "skos": SKOS, "prov": PROV, "rdf": RDF, "rdfs": RDFS, "owl": OWL, "xsd": XSD, "foaf": FOAF, "dc": DC,
}

__all__ = ["WT", "WT_NS", "MO", "KEYS", "CHORD", "QUDT", "UNIT", "SKOS", "PROV", "RDF", "RDFS", "OWL", "XSD", "FOAF",
           "DC", "PREFIXES", "sparql_prefixes", "prefixed_name"]


def sparql_prefixes() -> str:
    """PREFIX lines for every namespace whytag uses, to put in front of a query."""
    return "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in PREFIXES.items())


def prefixed_name(iri: str) -> str:
    """An IRI as a prefixed name where one of whytag's namespaces fits (wt:bpm), else the IRI itself."""
    for prefix, namespace in PREFIXES.items():
        if iri.startswith(str(namespace)) and len(iri) > len(str(namespace)):
            return f"{prefix}:{iri[len(str(namespace)):]}"
    return iri
