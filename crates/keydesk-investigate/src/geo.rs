//! Great-circle distance (haversine, R = 6371 km) and the equirectangular projection the report
//! map uses.

/// Earth's mean radius in kilometres.
pub const EARTH_RADIUS_KM: f64 = 6371.0;

/// Distance in kilometres between two `(latitude, longitude)` points in degrees.
pub fn haversine_km(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (lat1, lon1) = (a.0.to_radians(), a.1.to_radians());
    let (lat2, lon2) = (b.0.to_radians(), b.1.to_radians());
    let dlat = lat2 - lat1;
    let dlon = lon2 - lon1;
    let h = (dlat / 2.0).sin().powi(2) + lat1.cos() * lat2.cos() * (dlon / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_KM * h.sqrt().clamp(0.0, 1.0).asin()
}

/// Projects a point onto a `width` × `height` equirectangular picture (x right, y down).
pub fn equirectangular(point: (f64, f64), width: f64, height: f64) -> (f64, f64) {
    let (lat, lon) = point;
    let x = (lon + 180.0) / 360.0 * width;
    let y = (90.0 - lat) / 180.0 * height;
    (x.clamp(0.0, width), y.clamp(0.0, height))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn munich_to_singapore() {
        let d = haversine_km((48.1374, 11.5755), (1.3521, 103.8198));
        assert!((d - 10_060.0).abs() < 100.0, "{d}");
        assert_eq!(haversine_km((10.0, 10.0), (10.0, 10.0)), 0.0);
    }

    #[test]
    fn projection_corners() {
        assert_eq!(equirectangular((90.0, -180.0), 360.0, 180.0), (0.0, 0.0));
        assert_eq!(
            equirectangular((-90.0, 180.0), 360.0, 180.0),
            (360.0, 180.0)
        );
    }
}
