//! Where sign-ins come from and with what: Contoso's offices (city, coordinates, time zone,
//! office egress IPs, home and mobile networks, phone number plans), the attackers'
//! infrastructure, and the laptops and phones people use (with their user agents).
//!
//! IP prefixes and AS numbers are plausible for the city and kind of network (ISP, mobile
//! carrier, hosting provider); phone numbers come from the ranges reserved for fiction
//! (US 555-01xx, UK 020 7946 0xxx and 07700 900xxx, Munich 089 99998 xxx).

use rand::RngExt;
use rand::rngs::StdRng;

use super::{pick, random_id};
use crate::model::{GeoCoordinates, SignInLocation};

/// A city as geo-IP reports it.
#[derive(Debug)]
pub(super) struct Place {
    pub city: &'static str,
    pub state: &'static str,
    /// ISO 3166-1 alpha-2, as `location.countryOrRegion` shows it.
    pub country: &'static str,
    pub latitude: f64,
    pub longitude: f64,
    /// Standard-time offset from UTC in hours (daylight saving is ignored).
    pub utc_offset: i64,
}

impl Place {
    pub fn location(&self) -> SignInLocation {
        SignInLocation {
            city: Some(self.city.to_owned()),
            state: Some(self.state.to_owned()),
            country_or_region: Some(self.country.to_owned()),
            geo_coordinates: Some(GeoCoordinates {
                altitude: None,
                latitude: self.latitude,
                longitude: self.longitude,
            }),
        }
    }
}

/// A network: a /16 prefix and the autonomous system announcing it, in one place.
#[derive(Debug)]
pub(super) struct Net {
    pub prefix: &'static str,
    pub asn: u32,
    pub place: &'static Place,
}

impl Net {
    /// A host address in this network.
    pub fn ip(&self, rng: &mut StdRng) -> String {
        let c: u8 = rng.random_range(0..=255);
        let d: u8 = rng.random_range(1..=254);
        format!("{}.{c}.{d}", self.prefix)
    }
}

/// An office: its place, the fixed egress addresses of its network and the networks its staff
/// use from home and on the move.
#[derive(Debug)]
pub(super) struct Office {
    /// `officeLocation` prefix.
    pub code: &'static str,
    pub place: &'static Place,
    pub country_name: &'static str,
    pub usage_location: &'static str,
    pub language: &'static str,
    pub egress: &'static [&'static str],
    pub egress_asn: u32,
    pub home: &'static [Net],
    pub mobile: &'static Net,
    /// Business line prefix, completed by [`Office::phone`].
    pub desk_phone: &'static str,
    pub mobile_phone: &'static str,
}

impl Office {
    /// A desk (business) number with the given extension.
    pub fn desk_number(&self, ext: u32) -> String {
        number(self.desk_phone, ext)
    }

    /// A mobile number with the given extension.
    pub fn mobile_number(&self, ext: u32) -> String {
        number(self.mobile_phone, ext)
    }

    /// One of the office's egress addresses.
    pub fn egress_ip(&self, rng: &mut StdRng) -> String {
        (*pick(rng, self.egress)).to_owned()
    }

    /// A room in the office, as `officeLocation`.
    pub fn room(&self, rng: &mut StdRng) -> String {
        let floor: u32 = rng.random_range(1..=4);
        let room: u32 = rng.random_range(10..=99);
        format!("{}/{floor}{room:02}0", self.code)
    }
}

/// Fills a phone prefix's `#` run with the extension (`"+1 425 555 01##"`, 42 → `…0142`).
fn number(prefix: &str, ext: u32) -> String {
    let width = prefix.chars().filter(|&c| c == '#').count();
    let digits = format!("{:0width$}", ext % 10u32.pow(width as u32));
    let stem = prefix.trim_end_matches('#');
    format!("{stem}{digits}")
}

/// A phone number as the phone authentication method stores it: `+<country> <rest>`, the rest
/// without spaces (`+1 4255550142`).
pub(super) fn method_number(number: &str) -> String {
    match number.split_once(' ') {
        Some((cc, rest)) => format!("{cc} {}", rest.replace(' ', "")),
        None => number.to_owned(),
    }
}

macro_rules! place {
    ($name:ident, $city:expr, $state:expr, $cc:expr, $lat:expr, $lon:expr, $off:expr) => {
        pub(super) static $name: Place = Place {
            city: $city,
            state: $state,
            country: $cc,
            latitude: $lat,
            longitude: $lon,
            utc_offset: $off,
        };
    };
}

place!(
    REDMOND,
    "Redmond",
    "Washington",
    "US",
    47.674,
    -122.1215,
    -8
);
place!(
    SEATTLE,
    "Seattle",
    "Washington",
    "US",
    47.6062,
    -122.3321,
    -8
);
place!(NEW_YORK, "New York", "New York", "US", 40.7128, -74.006, -5);
place!(CHICAGO, "Chicago", "Illinois", "US", 41.8781, -87.6298, -6);
place!(AUSTIN, "Austin", "Texas", "US", 30.2672, -97.7431, -6);
place!(LONDON, "London", "England", "GB", 51.5074, -0.1278, 0);
place!(MUNICH, "Munich", "Bavaria", "DE", 48.1351, 11.582, 1);
place!(PORTLAND, "Portland", "Oregon", "US", 45.5152, -122.6784, -8);
place!(
    BUCHAREST,
    "Bucharest",
    "Bucuresti",
    "RO",
    44.4268,
    26.1025,
    2
);
place!(
    SINGAPORE,
    "Singapore",
    "Central Singapore",
    "SG",
    1.2897,
    103.8501,
    8
);
place!(ASHBURN, "Ashburn", "Virginia", "US", 39.0438, -77.4874, -5);

pub(super) static REDMOND_OFFICE: Office = Office {
    code: "12",
    place: &REDMOND,
    country_name: "United States",
    usage_location: "US",
    language: "en-US",
    egress: &["52.183.40.17", "52.183.40.18", "52.183.40.21"],
    egress_asn: 8075,
    home: &[
        Net {
            prefix: "73.97",
            asn: 7922,
            place: &REDMOND,
        },
        Net {
            prefix: "73.109",
            asn: 7922,
            place: &SEATTLE,
        },
        Net {
            prefix: "50.35",
            asn: 20055,
            place: &REDMOND,
        },
    ],
    mobile: &Net {
        prefix: "172.58",
        asn: 21928,
        place: &SEATTLE,
    },
    desk_phone: "+1 425 555 01##",
    mobile_phone: "+1 206 555 01##",
};

pub(super) static NEW_YORK_OFFICE: Office = Office {
    code: "NYC-5",
    place: &NEW_YORK,
    country_name: "United States",
    usage_location: "US",
    language: "en-US",
    egress: &["64.125.212.40", "64.125.212.41"],
    egress_asn: 6461,
    home: &[
        Net {
            prefix: "108.46",
            asn: 701,
            place: &NEW_YORK,
        },
        Net {
            prefix: "67.243",
            asn: 12271,
            place: &NEW_YORK,
        },
    ],
    mobile: &Net {
        prefix: "174.224",
        asn: 6167,
        place: &NEW_YORK,
    },
    desk_phone: "+1 212 555 01##",
    mobile_phone: "+1 646 555 01##",
};

pub(super) static CHICAGO_OFFICE: Office = Office {
    code: "CHI-2",
    place: &CHICAGO,
    country_name: "United States",
    usage_location: "US",
    language: "en-US",
    egress: &["216.80.73.10", "216.80.73.11"],
    egress_asn: 19009,
    home: &[
        Net {
            prefix: "98.213",
            asn: 7922,
            place: &CHICAGO,
        },
        Net {
            prefix: "76.229",
            asn: 7922,
            place: &CHICAGO,
        },
    ],
    mobile: &Net {
        prefix: "107.77",
        asn: 20057,
        place: &CHICAGO,
    },
    desk_phone: "+1 312 555 01##",
    mobile_phone: "+1 773 555 01##",
};

pub(super) static AUSTIN_OFFICE: Office = Office {
    code: "AUS-1",
    place: &AUSTIN,
    country_name: "United States",
    usage_location: "US",
    language: "en-US",
    egress: &["66.90.132.5", "66.90.132.6"],
    egress_asn: 11427,
    home: &[
        Net {
            prefix: "70.113",
            asn: 11427,
            place: &AUSTIN,
        },
        Net {
            prefix: "99.61",
            asn: 7018,
            place: &AUSTIN,
        },
    ],
    mobile: &Net {
        prefix: "172.56",
        asn: 21928,
        place: &AUSTIN,
    },
    desk_phone: "+1 512 555 01##",
    mobile_phone: "+1 737 555 01##",
};

pub(super) static LONDON_OFFICE: Office = Office {
    code: "LON-3",
    place: &LONDON,
    country_name: "United Kingdom",
    usage_location: "GB",
    language: "en-GB",
    egress: &["81.144.208.66", "81.144.208.67"],
    egress_asn: 2856,
    home: &[
        Net {
            prefix: "86.128",
            asn: 2856,
            place: &LONDON,
        },
        Net {
            prefix: "82.13",
            asn: 5089,
            place: &LONDON,
        },
    ],
    mobile: &Net {
        prefix: "31.94",
        asn: 12576,
        place: &LONDON,
    },
    desk_phone: "+44 20 7946 0###",
    mobile_phone: "+44 7700 900###",
};

pub(super) static MUNICH_OFFICE: Office = Office {
    code: "MUC-2",
    place: &MUNICH,
    country_name: "Germany",
    usage_location: "DE",
    language: "de-DE",
    egress: &["193.159.224.30", "193.159.224.31"],
    egress_asn: 3320,
    home: &[
        Net {
            prefix: "79.192",
            asn: 3320,
            place: &MUNICH,
        },
        Net {
            prefix: "88.217",
            asn: 8881,
            place: &MUNICH,
        },
    ],
    mobile: &Net {
        prefix: "176.6",
        asn: 3209,
        place: &MUNICH,
    },
    desk_phone: "+49 89 99998 ###",
    mobile_phone: "+49 89 99998 ###",
};

/// Contoso's VPN concentrator for the Pacific Northwest exits in Portland (about 270 km from
/// Redmond): a benign "new city" that is no impossible travel.
pub(super) static PORTLAND_VPN: Net = Net {
    prefix: "104.219",
    asn: 20055,
    place: &PORTLAND,
};

/// The hosting-provider address that sprays AlexW's password.
pub(super) static SPRAY_NET: Net = Net {
    prefix: "185.156",
    asn: 9009,
    place: &BUCHAREST,
};

/// The VPS the attacker uses against JohannaL.
pub(super) static ATTACKER_NET: Net = Net {
    prefix: "128.199",
    asn: 14061,
    place: &SINGAPORE,
};

/// The cloud host behind "Mail Helper Pro", which uses the stolen grant.
pub(super) static MAIL_HELPER_NET: Net = Net {
    prefix: "3.236",
    asn: 14618,
    place: &ASHBURN,
};

/// The attacker's phone number registered on JohannaL's account.
pub(super) const ATTACKER_PHONE: &str = "+44 7700 900461";

/// A device as the sign-in log's `deviceDetail` and `userAgent` show it.
#[derive(Debug, Clone)]
pub(super) struct Device {
    /// Empty for devices Entra does not know.
    pub device_id: String,
    pub display_name: Option<String>,
    pub os: &'static str,
    pub browser: String,
    pub user_agent: String,
    /// `Browser` or `Mobile Apps and Desktop clients`.
    pub client_app: &'static str,
    pub managed: bool,
    pub compliant: bool,
    pub trust_type: Option<&'static str>,
}

pub(super) const BROWSER: &str = "Browser";
pub(super) const MOBILE_DESKTOP: &str = "Mobile Apps and Desktop clients";

/// A company laptop: Windows with Edge (joined) or a Mac with Safari/Chrome (registered).
pub(super) fn laptop(rng: &mut StdRng) -> Device {
    let tag: u32 = rng.random_range(1000..=9999);
    if rng.random_bool(0.7) {
        let build = pick(rng, &["124.0.2478.80", "124.0.2478.97", "125.0.2535.51"]);
        let major = build.split('.').next().unwrap_or("124");
        Device {
            device_id: random_id(rng),
            display_name: Some(format!("CONTOSO-LT-{tag}")),
            os: "Windows10",
            browser: format!("Edge {}", build.rsplit_once('.').map_or(*build, |(a, _)| a)),
            user_agent: format!(
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) \
                 Chrome/{major}.0.0.0 Safari/537.36 Edg/{build}"
            ),
            client_app: BROWSER,
            managed: true,
            compliant: true,
            trust_type: Some("Azure AD joined"),
        }
    } else if rng.random_bool(0.5) {
        Device {
            device_id: random_id(rng),
            display_name: Some(format!("CONTOSO-MBP-{tag}")),
            os: "MacOs",
            browser: "Safari 17.4.1".to_owned(),
            user_agent: "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 \
                         (KHTML, like Gecko) Version/17.4.1 Safari/605.1.15"
                .to_owned(),
            client_app: BROWSER,
            managed: true,
            compliant: true,
            trust_type: Some("Azure AD registered"),
        }
    } else {
        Device {
            device_id: random_id(rng),
            display_name: Some(format!("CONTOSO-MBP-{tag}")),
            os: "MacOs",
            browser: "Chrome 124.0.0".to_owned(),
            user_agent: "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 \
                         (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36"
                .to_owned(),
            client_app: BROWSER,
            managed: true,
            compliant: true,
            trust_type: Some("Azure AD registered"),
        }
    }
}

/// Phone models people carry (also the Authenticator method's display name).
pub(super) const PHONE_MODELS: &[&str] = &[
    "iPhone 13",
    "iPhone 14",
    "iPhone 15",
    "iPhone 15 Pro",
    "Pixel 7",
    "Pixel 8",
    "Galaxy S23",
    "Galaxy A54",
];

/// A registered phone of the given model running Teams and Outlook.
pub(super) fn phone(rng: &mut StdRng, model: &str) -> Device {
    let ios = model.starts_with("iPhone");
    let (os, version) = if ios {
        ("Ios", *pick(rng, &["17.4", "17.5", "16.7"]))
    } else {
        ("Android", *pick(rng, &["14", "13"]))
    };
    let user_agent = if ios {
        format!(
            "Mozilla/5.0 (iPhone; CPU iPhone OS {} like Mac OS X) AppleWebKit/605.1.15 \
             (KHTML, like Gecko) Mobile/15E148 TeamsMobile-iOS",
            version.replace('.', "_")
        )
    } else {
        format!(
            "Mozilla/5.0 (Linux; Android {version}; {model}) AppleWebKit/537.36 \
             (KHTML, like Gecko) Chrome/124.0.6367.113 Mobile Safari/537.36 TeamsMobile-Android"
        )
    };
    Device {
        device_id: random_id(rng),
        display_name: Some(model.to_owned()),
        os,
        browser: if ios {
            "Mobile Safari".to_owned()
        } else {
            "Chrome Mobile 124.0.6367".to_owned()
        },
        user_agent,
        client_app: MOBILE_DESKTOP,
        managed: true,
        compliant: true,
        trust_type: Some("Azure AD registered"),
    }
}

/// The attacker's browser against JohannaL: unknown, unmanaged, unusual OS.
pub(super) fn attacker_browser() -> Device {
    Device {
        device_id: String::new(),
        display_name: None,
        os: "Linux",
        browser: "Firefox 125.0".to_owned(),
        user_agent: "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0"
            .to_owned(),
        client_app: BROWSER,
        managed: false,
        compliant: false,
        trust_type: None,
    }
}

/// The password-spraying script hitting AlexW.
pub(super) fn spray_tool() -> Device {
    Device {
        device_id: String::new(),
        display_name: None,
        os: "",
        browser: "Python Requests 2.31".to_owned(),
        user_agent: "python-requests/2.31.0".to_owned(),
        client_app: MOBILE_DESKTOP,
        managed: false,
        compliant: false,
        trust_type: None,
    }
}

/// The Mail Helper Pro backend refreshing its tokens.
pub(super) fn mail_helper_backend() -> Device {
    Device {
        device_id: String::new(),
        display_name: None,
        os: "",
        browser: String::new(),
        user_agent: "axios/1.6.8".to_owned(),
        client_app: MOBILE_DESKTOP,
        managed: false,
        compliant: false,
        trust_type: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_fill_the_extension() {
        assert_eq!(REDMOND_OFFICE.desk_number(42), "+1 425 555 0142");
        assert_eq!(LONDON_OFFICE.mobile_number(7), "+44 7700 900007");
        assert_eq!(method_number("+1 425 555 0142"), "+1 4255550142");
    }
}
