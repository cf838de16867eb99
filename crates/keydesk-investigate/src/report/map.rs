//! The sign-in map: an SVG picture in an equirectangular projection (longitude → x, latitude →
//! y) with a graticule, one dot per place (red when a finding cites a sign-in there, grey
//! otherwise) and lines between impossible-travel pairs. No tiles, no network.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::escape_html;
use crate::detect::{Finding, FindingKind};
use crate::geo::equirectangular;
use crate::model::SignIn;

/// A place on the map: name, point, sign-ins, cited by a finding.
type Dot = (String, (f64, f64), usize, bool);

const WIDTH: f64 = 720.0;
const HEIGHT: f64 = 360.0;

/// Renders the map of `sign_ins`, highlighting those `findings` cite.
pub fn render_map_svg(sign_ins: &[&SignIn], findings: &[Finding]) -> String {
    let cited: std::collections::HashSet<&str> = findings
        .iter()
        .flat_map(|f| f.signins.iter().map(String::as_str))
        .collect();
    // One dot per rounded coordinate.
    let mut places: BTreeMap<(i64, i64), Dot> = BTreeMap::new();
    let mut by_id: BTreeMap<&str, (f64, f64)> = BTreeMap::new();
    for s in sign_ins {
        let Some(point) = s.location.point() else {
            continue;
        };
        by_id.insert(&s.id, point);
        let key = (
            (point.0 * 10.0).round() as i64,
            (point.1 * 10.0).round() as i64,
        );
        let entry = places
            .entry(key)
            .or_insert((s.location.place(), point, 0, false));
        entry.2 += 1;
        entry.3 |= cited.contains(&*s.id);
    }
    let mut svg = String::new();
    let _ = write!(
        svg,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {WIDTH} {HEIGHT}\" width=\"100%\" role=\"img\" aria-label=\"Map of sign-in locations\">"
    );
    let _ = write!(
        svg,
        "<rect width=\"{WIDTH}\" height=\"{HEIGHT}\" fill=\"#eef3f8\"/>"
    );
    for lon in (-180..=180).step_by(30) {
        let (x, _) = equirectangular((0.0, f64::from(lon)), WIDTH, HEIGHT);
        let _ = write!(
            svg,
            "<line x1=\"{x:.1}\" y1=\"0\" x2=\"{x:.1}\" y2=\"{HEIGHT}\" stroke=\"#cdd8e3\" stroke-width=\"0.5\"/>"
        );
    }
    for lat in (-90..=90).step_by(30) {
        let (_, y) = equirectangular((f64::from(lat), 0.0), WIDTH, HEIGHT);
        let _ = write!(
            svg,
            "<line x1=\"0\" y1=\"{y:.1}\" x2=\"{WIDTH}\" y2=\"{y:.1}\" stroke=\"#cdd8e3\" stroke-width=\"0.5\"/>"
        );
    }
    for f in findings
        .iter()
        .filter(|f| f.kind == FindingKind::ImpossibleTravel)
    {
        let points: Vec<(f64, f64)> = f
            .signins
            .iter()
            .filter_map(|id| by_id.get(id.as_str()).copied())
            .collect();
        for pair in points.windows(2) {
            let (x1, y1) = equirectangular(pair[0], WIDTH, HEIGHT);
            let (x2, y2) = equirectangular(pair[1], WIDTH, HEIGHT);
            let _ = write!(
                svg,
                "<line x1=\"{x1:.1}\" y1=\"{y1:.1}\" x2=\"{x2:.1}\" y2=\"{y2:.1}\" stroke=\"#c0392b\" stroke-width=\"1.5\" stroke-dasharray=\"4 3\"/>"
            );
        }
    }
    for (place, point, count, flagged) in places.values() {
        let (x, y) = equirectangular(*point, WIDTH, HEIGHT);
        let (fill, radius) = if *flagged {
            ("#c0392b", 5.0)
        } else {
            ("#5d6d7e", 3.5)
        };
        let _ = write!(
            svg,
            "<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"{radius}\" fill=\"{fill}\" fill-opacity=\"0.85\"><title>{} ({count} sign-in{})</title></circle>",
            escape_html(place),
            if *count == 1 { "" } else { "s" }
        );
        let _ = write!(
            svg,
            "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"9\" font-family=\"sans-serif\" fill=\"#2c3e50\">{}</text>",
            x + 6.0,
            y - 4.0,
            escape_html(place)
        );
    }
    svg.push_str("</svg>");
    svg
}
