//! Makes two honest runs comparable without hiding a real difference. Entry point:
//! [`Normalizer`] (one per scenario run, so id placeholders keep their identity across steps).
