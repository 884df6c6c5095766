"""Reference lists behind the synthetic sample: areas, forces, postcodes, names and offences.

Name lists are ordered from most to least common in England and Wales; the generator gives them
Zipf-like weights by rank. Area weights combine resident population (millions, roughly 2021)
with a recorded-crime rate factor so that the busiest areas carry the most records.
"""

from __future__ import annotations

from dataclasses import dataclass

from workbench.reference import COMMON_PLACEHOLDER_DOBS, LCJB_AREAS


@dataclass(frozen=True)
class Area:
    """One local criminal justice board area and its police force(s).

    Attributes:
        name: The LCJB area name.
        forces: Police force names; London has the Metropolitan and City of London forces.
        force_codes: Two-letter force codes used in crime references, one per force.
        force_numbers: Two-digit force numbers used in URNs, one per force.
        population: Resident population in millions (approximate).
        crime_factor: Recorded crime per head relative to the national rate.
        postcode_areas: Postcode areas (outward letters) found in the area.
        court_towns: Towns with a magistrates' court; the first also hosts the Crown Court.
    """

    name: str
    forces: tuple[str, ...]
    force_codes: tuple[str, ...]
    force_numbers: tuple[int, ...]
    population: float
    crime_factor: float
    postcode_areas: tuple[str, ...]
    court_towns: tuple[str, ...]


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


def _area(
    name: str,
    force: str,
    code: str,
    number: int,
    population: float,
    crime_factor: float,
    postcodes: str,
    towns: str,
) -> Area:
    return Area(
        name=name,
        forces=(force,),
        force_codes=(code,),
        force_numbers=(number,),
        population=population,
        crime_factor=crime_factor,
        postcode_areas=tuple(postcodes.split()),
        court_towns=tuple(towns.split(",")),
    )


AREAS: tuple[Area, ...] = (
    _area(
        "Avon and Somerset",
        "Avon and Somerset Constabulary",
        "AS",
        52,
        1.75,
        0.95,
        "BS BA TA",
        "Bristol,Bath,Taunton",
    ),
    _area("Bedfordshire", "Bedfordshire Police", "BE", 40, 0.69, 1.0, "LU MK", "Luton,Bedford"),
    _area(
        "Cambridgeshire",
        "Cambridgeshire Constabulary",
        "CA",
        35,
        0.89,
        0.95,
        "CB PE",
        "Cambridge,Peterborough",
    ),
    _area(
        "Cheshire",
        "Cheshire Constabulary",
        "CH",
        7,
        1.08,
        0.9,
        "CH CW WA",
        "Chester,Crewe,Warrington",
    ),
    _area("Cleveland", "Cleveland Police", "CL", 17, 0.57, 1.45, "TS", "Teesside,Hartlepool"),
    _area("Cumbria", "Cumbria Constabulary", "CU", 3, 0.50, 0.8, "CA LA", "Carlisle,Workington"),
    _area(
        "Derbyshire", "Derbyshire Constabulary", "DY", 30, 1.05, 0.9, "DE S", "Derby,Chesterfield"
    ),
    _area(
        "Devon and Cornwall",
        "Devon and Cornwall Police",
        "DC",
        50,
        1.80,
        0.75,
        "EX PL TQ TR",
        "Exeter,Plymouth,Truro",
    ),
    _area("Dorset", "Dorset Police", "DO", 55, 0.78, 0.8, "BH DT", "Bournemouth,Weymouth"),
    _area("Durham", "Durham Constabulary", "DU", 11, 0.63, 1.05, "DH DL", "Durham,Newton Aycliffe"),
    _area(
        "Essex",
        "Essex Police",
        "ES",
        42,
        1.86,
        0.95,
        "CM CO SS",
        "Chelmsford,Colchester,Southend-on-Sea",
    ),
    _area(
        "Gloucestershire",
        "Gloucestershire Constabulary",
        "GL",
        53,
        0.65,
        0.8,
        "GL",
        "Gloucester,Cheltenham",
    ),
    _area(
        "Greater Manchester",
        "Greater Manchester Police",
        "GM",
        6,
        2.87,
        1.35,
        "M BL OL SK WN",
        "Manchester,Bolton,Stockport,Wigan",
    ),
    _area(
        "Hampshire",
        "Hampshire and Isle of Wight Constabulary",
        "HA",
        44,
        2.0,
        0.95,
        "SO PO",
        "Southampton,Portsmouth,Basingstoke",
    ),
    _area(
        "Hertfordshire",
        "Hertfordshire Constabulary",
        "HE",
        41,
        1.2,
        0.8,
        "AL SG WD EN",
        "St Albans,Stevenage,Watford",
    ),
    _area("Humberside", "Humberside Police", "HU", 16, 0.93, 1.2, "HU DN", "Hull,Grimsby"),
    _area(
        "Kent",
        "Kent Police",
        "KE",
        46,
        1.86,
        1.0,
        "ME CT TN DA",
        "Maidstone,Canterbury,Medway,Folkestone",
    ),
    _area(
        "Lancashire",
        "Lancashire Constabulary",
        "LA",
        4,
        1.53,
        1.05,
        "PR BB FY LA",
        "Preston,Blackburn,Blackpool,Lancaster",
    ),
    _area(
        "Leicestershire",
        "Leicestershire Police",
        "LE",
        33,
        1.1,
        0.95,
        "LE",
        "Leicester,Loughborough",
    ),
    _area(
        "Lincolnshire",
        "Lincolnshire Police",
        "LI",
        32,
        0.77,
        0.8,
        "LN PE NG",
        "Lincoln,Boston,Grantham",
    ),
    Area(
        name="London",
        forces=("Metropolitan Police", "City of London Police"),
        force_codes=("MP", "CY"),
        force_numbers=(1, 48),
        population=8.9,
        crime_factor=1.3,
        postcode_areas=("E", "N", "NW", "SE", "SW", "W", "EC", "WC"),
        court_towns=(
            "Southwark",
            "Westminster",
            "Highbury Corner",
            "Stratford",
            "Thames",
            "Willesden",
            "Wimbledon",
            "Croydon",
        ),
    ),
    _area(
        "Merseyside", "Merseyside Police", "ME", 5, 1.42, 1.2, "L CH WA", "Liverpool,Sefton,Wirral"
    ),
    _area(
        "Norfolk",
        "Norfolk Constabulary",
        "NF",
        36,
        0.92,
        0.8,
        "NR",
        "Norwich,King's Lynn,Great Yarmouth",
    ),
    _area(
        "North Yorkshire",
        "North Yorkshire Police",
        "NY",
        12,
        0.83,
        0.75,
        "YO HG",
        "York,Harrogate,Scarborough",
    ),
    _area(
        "Northamptonshire",
        "Northamptonshire Police",
        "NH",
        34,
        0.79,
        1.0,
        "NN",
        "Northampton,Corby",
    ),
    _area(
        "Northumbria",
        "Northumbria Police",
        "NB",
        10,
        1.46,
        1.15,
        "NE SR",
        "Newcastle upon Tyne,Sunderland,North Tyneside",
    ),
    _area(
        "Nottinghamshire",
        "Nottinghamshire Police",
        "NT",
        31,
        1.17,
        1.05,
        "NG",
        "Nottingham,Mansfield",
    ),
    _area(
        "South Yorkshire",
        "South Yorkshire Police",
        "SY",
        14,
        1.40,
        1.2,
        "S DN",
        "Sheffield,Doncaster,Barnsley",
    ),
    _area(
        "Staffordshire",
        "Staffordshire Police",
        "ST",
        21,
        1.14,
        0.95,
        "ST WS DE",
        "Stoke-on-Trent,Stafford,Cannock",
    ),
    _area(
        "Suffolk", "Suffolk Constabulary", "SU", 37, 0.76, 0.8, "IP CO", "Ipswich,Bury St Edmunds"
    ),
    _area("Surrey", "Surrey Police", "SR", 45, 1.2, 0.7, "GU KT RH", "Guildford,Staines,Redhill"),
    _area(
        "Sussex",
        "Sussex Police",
        "SX",
        47,
        1.71,
        0.9,
        "BN RH TN",
        "Brighton,Hastings,Crawley,Worthing",
    ),
    _area(
        "Thames Valley",
        "Thames Valley Police",
        "TV",
        43,
        2.45,
        0.85,
        "OX RG MK SL HP",
        "Reading,Oxford,Milton Keynes,Aylesbury,High Wycombe",
    ),
    _area("Warwickshire", "Warwickshire Police", "WA", 23, 0.60, 0.85, "CV B", "Warwick,Nuneaton"),
    _area(
        "West Mercia",
        "West Mercia Police",
        "WM",
        22,
        1.3,
        0.85,
        "WR HR SY TF",
        "Worcester,Hereford,Shrewsbury,Telford",
    ),
    _area(
        "West Midlands",
        "West Midlands Police",
        "WD",
        20,
        2.94,
        1.3,
        "B WV CV DY WS",
        "Birmingham,Wolverhampton,Coventry,Dudley,Walsall",
    ),
    _area(
        "West Yorkshire",
        "West Yorkshire Police",
        "WY",
        13,
        2.35,
        1.4,
        "LS BD WF HD HX",
        "Leeds,Bradford,Wakefield,Huddersfield,Halifax",
    ),
    _area("Wiltshire", "Wiltshire Police", "WI", 54, 0.73, 0.8, "SN SP", "Swindon,Salisbury"),
    _area(
        "Dyfed-Powys",
        "Dyfed-Powys Police",
        "DP",
        63,
        0.52,
        0.7,
        "SA LD SY",
        "Carmarthen,Aberystwyth,Llandrindod Wells",
    ),
    _area("Gwent", "Gwent Police", "GW", 61, 0.60, 1.0, "NP", "Newport,Cwmbran"),
    _area(
        "North Wales", "North Wales Police", "NW", 60, 0.70, 0.85, "LL", "Mold,Caernarfon,Llandudno"
    ),
    _area(
        "South Wales",
        "South Wales Police",
        "SW",
        62,
        1.33,
        1.1,
        "CF SA",
        "Cardiff,Swansea,Merthyr Tydfil",
    ),
)

if tuple(a.name for a in AREAS) != LCJB_AREAS:  # a mistake in this file, caught on import
    raise RuntimeError("The sample's areas must be workbench.reference.LCJB_AREAS, in order.")

CITY_OF_LONDON_SHARE = 0.02
"""Share of London crimes recorded by the City of London Police rather than the Met."""

POSTCODE_DISTRICTS: dict[str, int] = {
    "E": 18,
    "N": 22,
    "NW": 11,
    "SE": 28,
    "SW": 20,
    "W": 14,
    "EC": 4,
    "WC": 2,
    "B": 98,
    "M": 50,
    "L": 40,
    "S": 45,
    "LS": 29,
    "BD": 24,
    "NE": 71,
    "BS": 49,
    "CF": 83,
    "SA": 73,
    "NG": 34,
    "LE": 19,
    "CV": 47,
    "DY": 14,
    "WV": 16,
    "WS": 15,
    "SR": 8,
    "TS": 29,
    "HU": 20,
    "DN": 41,
    "YO": 62,
    "HG": 5,
    "HX": 7,
    "HD": 9,
    "WF": 17,
    "OL": 16,
    "BL": 9,
    "SK": 23,
    "WN": 8,
    "PR": 26,
    "BB": 18,
    "FY": 8,
    "LA": 23,
    "CA": 28,
    "CH": 66,
    "CW": 12,
    "WA": 16,
    "DE": 75,
    "ST": 21,
    "TF": 13,
    "SY": 25,
    "WR": 15,
    "HR": 9,
    "GL": 56,
    "BA": 22,
    "TA": 24,
    "EX": 39,
    "PL": 35,
    "TQ": 14,
    "TR": 27,
    "BH": 31,
    "DT": 11,
    "SP": 11,
    "SN": 26,
    "OX": 49,
    "RG": 45,
    "SL": 9,
    "HP": 27,
    "MK": 46,
    "LU": 7,
    "AL": 10,
    "SG": 19,
    "WD": 25,
    "EN": 11,
    "CM": 24,
    "CO": 16,
    "SS": 17,
    "IP": 33,
    "NR": 35,
    "CB": 25,
    "PE": 38,
    "LN": 13,
    "NN": 29,
    "ME": 20,
    "CT": 21,
    "TN": 40,
    "DA": 18,
    "GU": 52,
    "KT": 24,
    "RH": 20,
    "BN": 45,
    "SO": 53,
    "PO": 41,
    "DH": 9,
    "DL": 17,
    "NP": 44,
    "LL": 78,
    "LD": 8,
}
"""Highest district number of each postcode area (``ME`` runs ME1 to ME20)."""

INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"
"""Letters allowed in the inward part of a UK postcode (no C, I, K, M, O or V)."""

NO_FIXED_ABODE_POSTCODE = "NF1 1NF"
PLACEHOLDER_DOBS: tuple[str, ...] = tuple(d.isoformat() for d in COMMON_PLACEHOLDER_DOBS)
PLACEHOLDER_FORENAME = "NOT ENTERED"

MALE_FORENAMES: tuple[str, ...] = _words(
    """
    David John Michael James Paul Daniel Mark Thomas Christopher Andrew Robert Richard Matthew
    Steven Jamie Lee Ryan Jack Adam Peter William Anthony Joshua Craig Liam Darren Kevin Gary
    Stephen Ian Simon Scott Luke Connor Jordan Callum Kyle Dean Martin Jason Wayne Nathan Shaun
    Carl Neil Philip Samuel Benjamin Alexander Jonathan Stuart Graham Kieran Ashley Sean
    Nicholas Joseph Lewis Aaron Harry Charlie George Oliver Jake Brandon Bradley Reece Mohammed
    Muhammad Ali Ahmed Mohammad Mohamed Edward Patrick Keith Brian Alan Barry Colin Terry Tony
    Gavin Dale Karl Tyler Leon Declan Cameron Owen Ross Robbie Kane Marcus Glenn Trevor Malcolm
    Kenneth Raymond Derek Roy Dennis Frank Leslie Gordon Gareth Rhys Dylan Ethan Alfie Mason
    Harvey Louis Max Charles Henry Frederick Arthur Oscar Theo Archie Riley Kai Joe Tom Billy
    Ben Sam Dominic Vincent Gregory Timothy Jeremy Russell Nigel Clive Roger Hugh Owain Dafydd
    Huw Gethin Emyr Osian Hassan Hussain Imran Tariq Usman Bilal Hamza Zain Adil Asif Amir Faisal
    Kamran Omar Yusuf Ibrahim Abdul Abdullah Mustafa Rashid Shahid Sajid Waqas Zubair Arjun
    Rajesh Sanjay Vijay Amit Sunil Ravi Harjit Gurpreet Jaswinder Sukhdev Kwame Kofi Emmanuel
    Samuel Chinedu Tunde Olu Femi Abdi Mahad Ahmad Jan Piotr Pawel Tomasz Krzysztof Marcin
    Lukasz Andrzej Mateusz Bartosz Adrian Florin Ionut Andrei Mihai Gheorghe Vasile Sergei
    Dmitri Aleksandr Mikhail Arturas Tomas Darius Mantas Janis Stefan Marco Luca Giovanni
    Antonio Jose Carlos Miguel Juan Pedro Rui Joao Mehmet Mustafa Ahmet Hakan Ali Dritan
    Arben Erion Besnik Leonard Roberto Francisco Conor Ciaran Padraig Niall Declan Eoin
    Fraser Angus Hamish Callan Finlay Lachlan Ewan Murray Duncan Alistair Euan Calum Rory
    Jayden Jaden Tyrone Leroy Delroy Winston Marlon Devon Andre Jermaine Dwayne Curtis Reuben
    Isaac Noah Elijah Leo Freddie Jacob Zachary Toby Finley Alex Elliot Morgan Spencer
    """
)

FEMALE_FORENAMES: tuple[str, ...] = _words(
    """
    Sarah Emma Laura Claire Lisa Rebecca Samantha Nicola Michelle Jennifer Amy Hannah Gemma
    Kelly Louise Rachel Stacey Victoria Jessica Charlotte Sophie Lauren Danielle Chloe Natalie
    Katie Amanda Joanne Helen Elizabeth Karen Susan Julie Deborah Tracey Donna Jacqueline
    Angela Margaret Patricia Christine Linda Sharon Dawn Alison Catherine Katherine Kerry
    Leanne Zoe Jade Megan Ellie Olivia Amelia Emily Jasmine Holly Abigail Bethany Shannon
    Courtney Paige Georgia Lucy Grace Molly Mia Isabella Ella Ruby Lily Evie Poppy Freya
    Sophia Isla Ava Lilly Jodie Kirsty Natasha Vicky Toni Hayley Stephanie Kimberley Leah
    Caroline Fiona Jane Anne Mary Janet Barbara Carol Sandra Pauline Wendy Lesley Gillian
    Maria Anna Joanna Agnieszka Katarzyna Magdalena Monika Aleksandra Ewa Justyna Ioana
    Elena Andreea Mihaela Irina Olga Natalia Svetlana Fatima Aisha Ayesha Mariam Maryam
    Zainab Khadija Amina Sana Nadia Samira Yasmin Saima Shazia Nazia Farah Rukhsana Parveen
    Priya Anita Sunita Kiran Harpreet Manpreet Jaspreet Simran Neha Pooja Chantelle Shanice
    Tanisha Keisha Aaliyah Precious Blessing Grace Chioma Ngozi Funmi Abimbola Hodan Sagal
    Ifrah Rhiannon Ffion Cerys Sian Bethan Carys Seren Niamh Siobhan Aoife Ciara Roisin Orla
    Eilidh Kirsten Morag Isobel Eleanor Alice Florence Matilda Phoebe Imogen Harriet Millie
    Daisy Scarlett Willow Erin Rosie Maisie Eva Esme Ivy Layla Aimee Carly Charlene Tina
    Theresa Diane Lorraine Maxine Beverley Yvonne Jeanette Valerie Shirley Brenda Joan Irene
    Marie Teresa Rose Josephine Joanna Alexandra Georgina Rosie Jenna Abbie Tia Kayleigh
    Demi Jordan Casey Kayla Nicole Melissa Kirsten Marcia Sonia Denise Heather Tamsin
    """
)

SURNAMES: tuple[str, ...] = _words(
    """
    Smith Jones Williams Taylor Brown Davies Evans Wilson Thomas Johnson Roberts Robinson
    Thompson Wright Walker White Edwards Hughes Green Hall Lewis Harris Clarke Patel Jackson
    Wood Turner Martin Cooper Hill Ward Morris Moore Clark Lee King Baker Harrison Morgan
    Allen James Scott Phillips Watson Davis Parker Price Bennett Young Griffiths Mitchell
    Kelly Cook Carter Richardson Bailey Collins Bell Shaw Murphy Miller Cox Richards Khan
    Marshall Anderson Simpson Ellis Adams Singh Begum Wilkinson Foster Chapman Powell Webb
    Rogers Gray Mason Ali Hunt Hussain Campbell Matthews Owen Palmer Holmes Mills Barnes
    Knight Lloyd Butler Russell Barker Fisher Stevens Jenkins Murray Dixon Harvey Graham
    Pearson Ahmed Fletcher Walsh Kaur Gibson Howard Andrews Stewart Elliott Reynolds Saunders
    Payne Fox Ford Pearce Day Brooks West Lawrence Cole Atkinson Bradley Spencer Gill Dawson
    Ball Burton O'Brien Watts Rose Booth Perry Ryan Grant Wells Armstrong Francis Rees
    Hayes Hart Hudson Newman Barrett Webster Hunter Gregory Carr Lowe Page Marsh Riley
    Dunn Woods Parsons Berry Stone Reid Holland Hawkins Harding Porter Robertson Newton
    Oliver Reed Kennedy Williamson Bird Gardner Shah Dean Lane Cooke Bates Henderson Parry
    Burgess Bishop Walton Burns Nicholson Shepherd Ross Cross Long Freeman Warren Nicholls
    Hamilton Byrne Sutton McDonald Yates Hodgson Robson Curtis Hopkins O'Connor Harper
    Coleman Watkins Moss McCarthy Chambers O'Neill Griffin Sharp Hardy Wheeler Potter
    Osborne Johnston Gordon Doyle Wallace George Jordan Hutchinson Rowe Burke May Pritchard
    Gilbert Willis Higgins Read Miles Stevenson Stephenson Hammond Arnold Buckley Walters
    Hewitt Barber Nelson Slater Austin Sullivan Whitehead Mann Frost Lambert Stephens
    Blake Akhtar Lynch Goodwin Barton Woodward Thomson Cunningham Quinn Barnett Baxter
    Bibi Clayton Nash Greenwood Jennings Holt Kemp Poole Gallagher Bond Stokes Tucker
    Davidson Fowler Heath Norman Middleton Lawson Banks French Stanley Jarvis Gibbs
    Ferguson Hayward Carroll Douglas Dickinson Todd Barlow Peters Lucas Knowles Hartley
    Miah Simmons Morton Alexander Field Morrison Norris Townsend Preston Hancock Thornton
    Baldwin Burrows Briggs Storey Pollard Mahmood Rahman Iqbal Hussein Chowdhury Begum
    Mohammed Uddin Islam Sharma Kumar Mistry Chauhan Nowak Kowalski Wisniewski Kaminski
    Popescu Ionescu Popa Ivanov Petrov Kazlauskas Silva Santos Ferreira Rossi Yilmaz
    Okafor Adeyemi Mensah Osei Mohamud Abdi Warsame Nguyen MacDonald McLean McKenzie
    MacLeod McGregor McIntyre Mackay McCann McLaughlin McGuire McKenna O'Sullivan O'Donnell
    O'Reilly O'Hara O'Leary Smith-Jones Taylor-Smith Owen-Jones Lloyd-Williams Brown-Smith
    Vaughan-Thomas Jones-Parry Ward-Davies Hughes-Evans Khan-Patel Clarke-Wilson
    Fitzgerald Fitzpatrick Donnelly Brennan Gallacher Hughes Kavanagh Flanagan Doherty
    """
)

NICKNAMES: dict[str, tuple[str, ...]] = {
    "William": ("Bill", "Will", "Billy", "Liam"),
    "Robert": ("Bob", "Rob", "Bobby", "Robbie"),
    "Elizabeth": ("Liz", "Beth", "Lizzie", "Betty"),
    "Margaret": ("Maggie", "Meg", "Peggy"),
    "James": ("Jim", "Jimmy", "Jamie"),
    "Thomas": ("Tom", "Tommy"),
    "Richard": ("Rich", "Rick", "Richie"),
    "Michael": ("Mike", "Mick", "Mikey"),
    "Christopher": ("Chris",),
    "Daniel": ("Dan", "Danny"),
    "Matthew": ("Matt",),
    "Anthony": ("Tony", "Ant"),
    "Joseph": ("Joe", "Joey"),
    "David": ("Dave", "Davey"),
    "Stephen": ("Steve", "Stevie"),
    "Steven": ("Steve", "Stevie"),
    "Andrew": ("Andy", "Drew"),
    "Benjamin": ("Ben", "Benny"),
    "Samuel": ("Sam", "Sammy"),
    "Alexander": ("Alex", "Sandy"),
    "Jonathan": ("Jon", "Jonny"),
    "Nicholas": ("Nick", "Nicky"),
    "Edward": ("Ed", "Eddie", "Ted"),
    "Charles": ("Charlie", "Chas"),
    "Kenneth": ("Ken", "Kenny"),
    "Patrick": ("Pat", "Paddy"),
    "Peter": ("Pete",),
    "Philip": ("Phil",),
    "Timothy": ("Tim",),
    "Gregory": ("Greg",),
    "Jacob": ("Jake",),
    "Joshua": ("Josh",),
    "Nathan": ("Nate",),
    "Zachary": ("Zach",),
    "Frederick": ("Fred", "Freddie"),
    "Henry": ("Harry", "Hal"),
    "Raymond": ("Ray",),
    "Terence": ("Terry",),
    "Leonard": ("Len", "Lenny"),
    "Katherine": ("Kate", "Kathy", "Katie"),
    "Catherine": ("Cath", "Cathy", "Kate"),
    "Jennifer": ("Jen", "Jenny"),
    "Rebecca": ("Becky", "Becca"),
    "Victoria": ("Vicky", "Tori"),
    "Samantha": ("Sam", "Sammy"),
    "Jessica": ("Jess", "Jessie"),
    "Alexandra": ("Alex", "Lexi"),
    "Natalie": ("Nat",),
    "Deborah": ("Debbie", "Deb"),
    "Susan": ("Sue", "Susie"),
    "Patricia": ("Pat", "Trish"),
    "Christine": ("Chris", "Chrissie"),
    "Jacqueline": ("Jackie",),
    "Amanda": ("Mandy",),
    "Nicola": ("Nicky", "Nic"),
    "Abigail": ("Abbie", "Abby"),
    "Charlotte": ("Lottie", "Charlie"),
    "Eleanor": ("Ellie", "Nell"),
    "Olivia": ("Liv", "Livvy"),
    "Isabella": ("Izzy", "Bella"),
    "Kimberley": ("Kim",),
    "Stephanie": ("Steph",),
    "Josephine": ("Jo", "Josie"),
    "Joanne": ("Jo",),
    "Danielle": ("Dani",),
    "Gillian": ("Gill",),
    "Pamela": ("Pam",),
    "Barbara": ("Barb",),
}
"""Common English nicknames for a formal forename."""

TRANSLITERATIONS: tuple[tuple[str, ...], ...] = (
    ("Mohammed", "Muhammad", "Mohamed", "Mohammad", "Muhammed", "Mohamad"),
    ("Ahmed", "Ahmad", "Ahmet"),
    ("Mustafa", "Mustapha", "Moustafa"),
    ("Yusuf", "Yousuf", "Yousef", "Youssef"),
    ("Hussain", "Hussein", "Husain", "Hossain"),
    ("Hassan", "Hasan"),
    ("Ibrahim", "Ebrahim", "Ibraheem"),
    ("Usman", "Osman", "Uthman"),
    ("Abdullah", "Abdulla"),
    ("Rashid", "Rasheed"),
    ("Shahid", "Shaheed"),
    ("Tariq", "Tarik", "Tarek"),
    ("Omar", "Umar"),
    ("Zubair", "Zubayr"),
    ("Faisal", "Faysal"),
    ("Abdi", "Abdie"),
    ("Fatima", "Fatimah", "Fatma"),
    ("Aisha", "Ayesha", "Aysha"),
    ("Mariam", "Maryam", "Miriam"),
    ("Zainab", "Zaynab", "Zeinab"),
    ("Khadija", "Khadijah"),
    ("Yasmin", "Yasmine", "Jasmin"),
    ("Sergei", "Sergey"),
    ("Aleksandr", "Alexander", "Oleksandr"),
    ("Dmitri", "Dmitry"),
    ("Mikhail", "Michail"),
    ("Natalia", "Nataliya"),
    ("Chowdhury", "Choudhury", "Chaudhry", "Chaudhary"),
    ("Mahmood", "Mahmud", "Mehmood"),
    ("Rahman", "Rehman"),
    ("Mohamud", "Mohamoud"),
    ("Miah", "Mia"),
    ("Wisniewski", "Wiśniewski"),
    ("Ivanov", "Ivanoff"),
    ("Petrov", "Petroff"),
)
"""Groups of spellings of the same name written from another script."""

SECONDARY_CHARGES: tuple[str, ...] = (
    "Resisting or obstructing a constable",
    "Failing to surrender to bail",
    "Possession of a controlled drug of Class B",
    "Assault on an emergency worker",
    "Criminal damage (under £5,000)",
    "Breach of a conditional discharge",
)


@dataclass(frozen=True)
class Offence:
    """One offence in the sample's offence list.

    Attributes:
        code: Home Office offence classification code.
        description: Offence description as the police record it.
        group: Court statistics offence group.
        victim_based: Whether the offence has an identifiable victim.
        weight: Relative volume among all recorded crime.
        crown_share: Share of charged cases that go to the Crown Court.
    """

    code: str
    description: str
    group: str
    victim_based: bool
    weight: float
    crown_share: float


VAP = "violence against the person"
SEX = "sexual offences"
ROB = "robbery"
THEFT = "theft offences"
DAMAGE = "criminal damage and arson"
DRUGS = "drug offences"
WEAPONS = "possession of weapons"
PUBLIC_ORDER = "public order offences"
MISC = "miscellaneous crimes against society"
FRAUD = "fraud offences"
SUMMARY = "summary non-motoring"
MOTORING = "summary motoring"

OFFENCE_GROUPS: tuple[str, ...] = (
    VAP,
    SEX,
    ROB,
    THEFT,
    DAMAGE,
    DRUGS,
    WEAPONS,
    PUBLIC_ORDER,
    MISC,
    FRAUD,
    SUMMARY,
    MOTORING,
)

OFFENCES: tuple[Offence, ...] = (
    Offence("001/00", "Murder", VAP, True, 0.02, 1.0),
    Offence("002/00", "Attempted murder", VAP, True, 0.02, 1.0),
    Offence("005/01", "Wounding with intent to do grievous bodily harm", VAP, True, 0.35, 0.95),
    Offence("008/01", "Inflicting grievous bodily harm without intent", VAP, True, 0.6, 0.45),
    Offence("008/10", "Assault occasioning actual bodily harm", VAP, True, 5.5, 0.12),
    Offence("105/01", "Common assault and battery", VAP, True, 8.0, 0.0),
    Offence("104/01", "Assault on an emergency worker", VAP, True, 0.8, 0.0),
    Offence("003/01", "Threats to kill", VAP, True, 0.45, 0.4),
    Offence("008/31", "Harassment", VAP, True, 3.0, 0.02),
    Offence("008/49", "Stalking", VAP, True, 1.5, 0.1),
    Offence("008/71", "Controlling or coercive behaviour", VAP, True, 0.7, 0.3),
    Offence("008/67", "Malicious communications", VAP, True, 4.0, 0.0),
    Offence("019/07", "Rape of a female aged 16 or over", SEX, True, 0.85, 1.0),
    Offence("019/16", "Rape of a female child under 13", SEX, True, 0.1, 1.0),
    Offence("017/01", "Sexual assault on a female aged 13 or over", SEX, True, 0.95, 0.35),
    Offence("022/01", "Sexual activity with a child under 16", SEX, True, 0.35, 0.8),
    Offence("088/02", "Exposure and voyeurism", SEX, True, 0.3, 0.05),
    Offence("086/02", "Possession of indecent images of children", SEX, False, 0.3, 0.5),
    Offence("034/01", "Robbery of personal property", ROB, True, 1.1, 0.85),
    Offence("034/02", "Robbery of business property", ROB, True, 0.15, 0.9),
    Offence("028/01", "Burglary — residential", THEFT, True, 3.0, 0.35),
    Offence("030/01", "Burglary — business and community", THEFT, True, 1.2, 0.15),
    Offence("046/01", "Shoplifting", THEFT, True, 5.5, 0.01),
    Offence("039/00", "Theft from the person", THEFT, True, 1.5, 0.05),
    Offence("045/00", "Theft from a vehicle", THEFT, True, 2.5, 0.03),
    Offence("048/00", "Theft or unauthorised taking of a motor vehicle", THEFT, True, 1.7, 0.1),
    Offence("044/01", "Bicycle theft", THEFT, True, 1.2, 0.0),
    Offence("049/01", "Other theft", THEFT, True, 6.5, 0.02),
    Offence("054/02", "Handling stolen goods", THEFT, True, 0.25, 0.15),
    Offence("056/01", "Arson endangering life", DAMAGE, True, 0.06, 0.9),
    Offence("056/02", "Arson not endangering life", DAMAGE, True, 0.4, 0.1),
    Offence("058/01", "Criminal damage to a dwelling", DAMAGE, True, 2.2, 0.02),
    Offence("058/03", "Criminal damage to a vehicle", DAMAGE, True, 2.3, 0.01),
    Offence("058/05", "Other criminal damage", DAMAGE, True, 2.2, 0.01),
    Offence("092/01", "Possession of cannabis", DRUGS, False, 2.0, 0.0),
    Offence(
        "092/02", "Possession of a controlled drug (excluding cannabis)", DRUGS, False, 0.6, 0.02
    ),
    Offence("092/05", "Possession with intent to supply a controlled drug", DRUGS, False, 0.5, 0.7),
    Offence("092/07", "Production or supply of a controlled drug", DRUGS, False, 0.3, 0.75),
    Offence("010/01", "Possession of an article with a blade or point", WEAPONS, False, 0.8, 0.2),
    Offence("010/03", "Possession of an offensive weapon", WEAPONS, False, 0.3, 0.2),
    Offence("081/02", "Possession of a firearm with intent", WEAPONS, False, 0.05, 1.0),
    Offence("066/01", "Public fear, alarm or distress", PUBLIC_ORDER, False, 5.5, 0.0),
    Offence(
        "066/05",
        "Racially or religiously aggravated public fear, alarm or distress",
        PUBLIC_ORDER,
        False,
        0.9,
        0.05,
    ),
    Offence("062/01", "Violent disorder", PUBLIC_ORDER, False, 0.1, 0.9),
    Offence("076/01", "Perverting the course of justice", MISC, False, 0.1, 0.9),
    Offence("082/01", "Breach of a restraining order", MISC, False, 0.8, 0.02),
    Offence("802/01", "Failing to surrender to bail", MISC, False, 0.4, 0.0),
    Offence("099/11", "Possession of false identity documents", MISC, False, 0.1, 0.5),
    Offence("053/01", "Fraud by false representation", FRAUD, True, 1.6, 0.25),
    Offence("053/02", "Fraud by abuse of position", FRAUD, True, 0.2, 0.5),
    Offence("814/01", "Making or supplying articles for use in fraud", FRAUD, False, 0.1, 0.5),
    Offence("195/94", "Drunk and disorderly", SUMMARY, False, 0.3, 0.0),
    Offence("149/00", "Obstructing a police officer", SUMMARY, False, 0.25, 0.0),
    Offence("804/10", "Driving while disqualified", MOTORING, False, 0.25, 0.0),
    Offence("803/01", "Driving with excess alcohol", MOTORING, False, 0.45, 0.0),
    Offence("810/01", "Driving without insurance", MOTORING, False, 0.2, 0.0),
)
