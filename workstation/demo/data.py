"""Word lists for the synthetic demo data: common names, street names, real city/state/ZIP combinations.

Everything here is public, generic and obviously synthetic once combined: no real person's data.
"""

from __future__ import annotations

FIRST_NAMES: tuple[str, ...] = (
    "James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David", "Elizabeth",
    "William", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah", "Charles", "Karen",
    "Christopher", "Lisa", "Daniel", "Nancy", "Matthew", "Betty", "Anthony", "Margaret", "Mark", "Sandra",
    "Donald", "Ashley", "Steven", "Kimberly", "Paul", "Emily", "Andrew", "Donna", "Joshua", "Michelle",
    "Kenneth", "Carol", "Kevin", "Amanda", "Brian", "Dorothy", "George", "Melissa", "Timothy", "Deborah",
    "Ronald", "Stephanie", "Edward", "Rebecca", "Jason", "Sharon", "Jeffrey", "Laura", "Ryan", "Cynthia",
    "Jacob", "Kathleen", "Gary", "Amy", "Nicholas", "Angela", "Eric", "Shirley", "Jonathan", "Anna",
    "Stephen", "Brenda", "Larry", "Pamela", "Justin", "Emma", "Scott", "Nicole", "Brandon", "Helen",
    "Benjamin", "Samantha", "Samuel", "Katherine", "Gregory", "Christine", "Alexander", "Debra", "Frank",
    "Rachel", "Patrick", "Carolyn", "Raymond", "Janet", "Jack", "Catherine", "Dennis", "Maria", "Jerry",
    "Heather", "Tyler", "Diane", "Aaron", "Ruth", "Jose", "Julie", "Adam", "Olivia", "Nathan", "Joyce",
    "Henry", "Virginia", "Douglas", "Victoria", "Zachary", "Kelly", "Peter", "Lauren", "Kyle", "Christina",
    "Ethan", "Joan", "Walter", "Evelyn", "Noah", "Judith", "Jeremy", "Megan", "Christian", "Andrea",
    "Keith", "Cheryl", "Roger", "Hannah", "Terry", "Jacqueline", "Gerald", "Martha", "Harold", "Gloria",
    "Sean", "Teresa", "Austin", "Ann", "Carl", "Sara", "Arthur", "Madison", "Lawrence", "Frances",
    "Dylan", "Kathryn", "Jesse", "Janice", "Jordan", "Jean", "Bryan", "Abigail", "Billy", "Alice",
    "Luis", "Julia", "Juan", "Sophia", "Carlos", "Grace", "Miguel", "Denise", "Jorge", "Amber",
    "Alejandro", "Guadalupe", "Wei", "Mei", "Minh", "Linh", "Ahmed", "Fatima", "Raj", "Priya",
)

# Latin, Asian and African first names weigh a little more among ITIN filers.
ITIN_FIRST_NAMES: tuple[str, ...] = (
    "Jose", "Maria", "Juan", "Guadalupe", "Luis", "Rosa", "Carlos", "Ana", "Miguel", "Carmen",
    "Jorge", "Veronica", "Alejandro", "Leticia", "Francisco", "Yesenia", "Pedro", "Claudia", "Ricardo",
    "Gabriela", "Fernando", "Alma", "Rafael", "Silvia", "Javier", "Lucia", "Wei", "Mei", "Minh", "Linh",
    "Ahmed", "Fatima", "Raj", "Priya", "Kwame", "Amara", "Chinedu", "Ngozi", "Arjun", "Anjali",
)

LAST_NAMES: tuple[str, ...] = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez",
    "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin",
    "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez", "Clark", "Ramirez", "Lewis", "Robinson",
    "Walker", "Young", "Allen", "King", "Wright", "Scott", "Torres", "Nguyen", "Hill", "Flores",
    "Green", "Adams", "Nelson", "Baker", "Hall", "Rivera", "Campbell", "Mitchell", "Carter", "Roberts",
    "Gomez", "Phillips", "Evans", "Turner", "Diaz", "Parker", "Cruz", "Edwards", "Collins", "Reyes",
    "Stewart", "Morris", "Morales", "Murphy", "Cook", "Rogers", "Gutierrez", "Ortiz", "Morgan", "Cooper",
    "Peterson", "Bailey", "Reed", "Kelly", "Howard", "Ramos", "Kim", "Cox", "Ward", "Richardson",
    "Watson", "Brooks", "Chavez", "Wood", "James", "Bennett", "Gray", "Mendoza", "Ruiz", "Hughes",
    "Price", "Alvarez", "Castillo", "Sanders", "Patel", "Myers", "Long", "Ross", "Foster", "Jimenez",
    "Powell", "Jenkins", "Perry", "Russell", "Sullivan", "Bell", "Coleman", "Butler", "Henderson", "Barnes",
    "Gonzales", "Fisher", "Vasquez", "Simmons", "Romero", "Jordan", "Patterson", "Alexander", "Hamilton",
    "Graham", "Reynolds", "Griffin", "Wallace", "Moreno", "West", "Cole", "Hayes", "Bryant", "Herrera",
    "Gibson", "Ellis", "Tran", "Medina", "Aguilar", "Stevens", "Murray", "Ford", "Castro", "Marshall",
    "Owens", "Harrison", "Fernandez", "McDonald", "Woods", "Washington", "Kennedy", "Wells", "Vargas",
    "Henry", "Chen", "Freeman", "Webb", "Tucker", "Guzman", "Burns", "Crawford", "Olson", "Simpson",
    "Porter", "Hunter", "Gordon", "Mendez", "Silva", "Shaw", "Snyder", "Mason", "Dixon", "Munoz",
    "Hunt", "Hicks", "Holmes", "Palmer", "Wagner", "Black", "Robertson", "Boyd", "Rose", "Stone",
    "Salazar", "Fox", "Warren", "Mills", "Meyer", "Rice", "Schmidt", "Garza", "Daniels", "Ferguson",
    "Nichols", "Stephens", "Soto", "Weaver", "Ryan", "Gardner", "Payne", "Grant", "Dunn", "Kelley",
    "Spencer", "Hawkins", "Arnold", "Pierce", "Vazquez", "Hansen", "Peters", "Santos", "Hart", "Bradley",
    "Knight", "Elliott", "Cunningham", "Duncan", "Armstrong", "Hudson", "Carroll", "Lane", "Riley",
    "Andrews", "Alvarado", "Ray", "Delgado", "Berry", "Perkins", "Hoffman", "Johnston", "Matthews",
    "Pena", "Richards", "Contreras", "Willis", "Carpenter", "Lawrence", "Sandoval", "Okafor", "Singh",
)

MIDDLE_INITIALS = "ABCDEFGHJKLMNPRSTW"

STREET_NAMES: tuple[str, ...] = (
    "Main", "Oak", "Maple", "Cedar", "Elm", "Pine", "Walnut", "Washington", "Lincoln", "Jefferson",
    "Park", "Lake", "Hill", "Sunset", "Highland", "Church", "Spring", "River", "Meadow", "Forest",
    "Ridge", "Center", "Mill", "Willow", "Jackson", "Franklin", "Madison", "Adams", "Chestnut", "Cherry",
    "Magnolia", "Pecan", "Mesquite", "Congress", "Lamar", "Guadalupe", "Alameda", "Sierra", "Vista",
    "Orchard", "Broad", "Market", "Front", "Water", "Union", "Liberty", "Prospect", "Grove", "Valley",
    "Birch", "Hickory", "Dogwood", "Laurel", "Cypress", "Poplar", "Sycamore", "Aspen", "Juniper",
    "Railroad", "College", "School", "Academy", "Garden", "Harbor", "Bay", "Canyon", "Mesa", "Prairie",
    "2nd", "3rd", "4th", "5th", "6th", "7th", "8th", "9th", "10th", "12th", "14th", "21st", "32nd",
)

# USPS Publication 28 standard suffix abbreviations.
STREET_SUFFIXES: tuple[str, ...] = (
    "St", "St", "St", "Ave", "Ave", "Rd", "Dr", "Dr", "Ln", "Blvd", "Ct", "Pl", "Way", "Ter", "Cir",
    "Pkwy", "Trl", "Loop",
)
DIRECTIONALS: tuple[str, ...] = ("N", "S", "E", "W")
UNIT_KINDS: tuple[str, ...] = ("Apt", "Apt", "Apt", "Unit", "Ste", "Lot")

# (city, state, ZIP5, telephone area code): real combinations.
CITIES: tuple[tuple[str, str, str, str], ...] = (
    ("Austin", "TX", "78701", "512"), ("Austin", "TX", "78745", "512"), ("Houston", "TX", "77002", "713"),
    ("Houston", "TX", "77036", "713"), ("Dallas", "TX", "75201", "214"),
    ("San Antonio", "TX", "78205", "210"), ("El Paso", "TX", "79901", "915"),
    ("Chicago", "IL", "60601", "312"), ("Chicago", "IL", "60623", "773"),
    ("Los Angeles", "CA", "90012", "213"), ("Los Angeles", "CA", "90033", "323"),
    ("San Diego", "CA", "92101", "619"), ("Fresno", "CA", "93721", "559"),
    ("San Jose", "CA", "95113", "408"), ("Phoenix", "AZ", "85004", "602"), ("Tucson", "AZ", "85701", "520"),
    ("Denver", "CO", "80202", "303"), ("Miami", "FL", "33130", "305"), ("Orlando", "FL", "32801", "407"),
    ("Tampa", "FL", "33602", "813"), ("Atlanta", "GA", "30303", "404"), ("New York", "NY", "10001", "212"),
    ("Brooklyn", "NY", "11201", "718"), ("Bronx", "NY", "10451", "718"), ("Newark", "NJ", "07102", "973"),
    ("Philadelphia", "PA", "19107", "215"), ("Pittsburgh", "PA", "15222", "412"),
    ("Boston", "MA", "02108", "617"), ("Seattle", "WA", "98101", "206"), ("Portland", "OR", "97204", "503"),
    ("Las Vegas", "NV", "89101", "702"), ("Albuquerque", "NM", "87102", "505"),
    ("Salt Lake City", "UT", "84111", "801"), ("Minneapolis", "MN", "55401", "612"),
    ("Kansas City", "MO", "64106", "816"), ("St. Louis", "MO", "63101", "314"),
    ("Nashville", "TN", "37203", "615"), ("Charlotte", "NC", "28202", "704"),
    ("Raleigh", "NC", "27601", "919"), ("Columbus", "OH", "43215", "614"),
    ("Cleveland", "OH", "44113", "216"), ("Detroit", "MI", "48226", "313"),
    ("Indianapolis", "IN", "46204", "317"), ("Milwaukee", "WI", "53202", "414"),
    ("Omaha", "NE", "68102", "402"), ("Oklahoma City", "OK", "73102", "405"),
    ("New Orleans", "LA", "70112", "504"), ("Baltimore", "MD", "21202", "410"),
    ("Washington", "DC", "20001", "202"), ("Richmond", "VA", "23219", "804"),
    ("Louisville", "KY", "40202", "502"), ("Birmingham", "AL", "35203", "205"),
    ("Boise", "ID", "83702", "208"), ("Honolulu", "HI", "96813", "808"),
    ("Anchorage", "AK", "99501", "907"), ("Des Moines", "IA", "50309", "515"),
    ("Hartford", "CT", "06103", "860"), ("Providence", "RI", "02903", "401"),
    ("Burlington", "VT", "05401", "802"), ("Portland", "ME", "04101", "207"),
    ("Little Rock", "AR", "72201", "501"), ("Jackson", "MS", "39201", "601"),
    ("Charleston", "SC", "29401", "843"), ("Fargo", "ND", "58102", "701"),
    ("Sioux Falls", "SD", "57104", "605"), ("Billings", "MT", "59101", "406"),
    ("Cheyenne", "WY", "82001", "307"), ("Wilmington", "DE", "19801", "302"),
    ("Manchester", "NH", "03101", "603"), ("Charleston", "WV", "25301", "304"),
)

EMPLOYERS: tuple[str, ...] = (
    "Northwind Logistics Inc", "Contoso Health System", "Fabrikam Manufacturing Co", "Tailspin Air Services",
    "Wide World Importers LLC", "Adventure Works Outfitters", "Litware Software Inc", "Proseware Inc",
    "Woodgrove Community Bank", "Coho Vineyard & Winery", "Alpine Ski House", "Blue Yonder Airlines",
    "Fourth Coffee Co", "Graphic Design Institute", "Humongous Insurance", "Lucerne Publishing",
    "Margie's Travel", "Southridge Video", "Trey Research", "Wingtip Toys", "Relecloud Services",
    "Example County School District", "City Services Authority (Demo)", "Sample Regional Hospital",
    "Lakeshore Grocery Cooperative", "Mesa Verde Construction LLC", "Prairie Farm Supply Co",
    "Harborview Home Care LLC", "Summit Staffing Group", "Riverbend Hotel & Suites",
)

BUSINESS_WORDS: tuple[str, ...] = (
    "Lone Star", "Blue Mesa", "Harbor View", "Cedar Ridge", "Golden Gate", "Prairie Wind", "Red Rock",
    "Silver Creek", "Maple Leaf", "Sunrise", "Riverside", "Northgate", "Bayou", "High Desert", "Lakeside",
)
BUSINESS_KINDS: tuple[str, ...] = (
    "Plumbing", "Dental", "Landscaping", "Bakery", "Auto Repair", "Roofing", "Accounting", "Cleaning",
    "Trucking", "Printing", "Catering", "Hardware", "Tailoring", "Pharmacy", "Electric",
)
BUSINESS_FORMS: tuple[str, ...] = ("LLC", "Inc", "Co", "PLLC", "LP")
