// The fallback clock's value (Unix seconds), chosen by build.rs and tested by
// the library's unit tests (`include!`d by both): the time the shipped archive
// was built. scripts/esp8266/build.sh sets ESPCONN_SECURE_BUILD_TIME for every
// archive build (from SOURCE_DATE_EPOCH when set, for reproducible builds);
// a plain cargo build falls back to SOURCE_DATE_EPOCH, then to the clock.
// build.rs reruns when either variable changes, so the value is never left
// over from an older build of the same sources.

/// `explicit`: ESPCONN_SECURE_BUILD_TIME; `epoch`: SOURCE_DATE_EPOCH; `now`:
/// the clock. Values that are not decimal numbers are skipped.
#[allow(dead_code)]
fn choose_build_time(explicit: Option<&str>, epoch: Option<&str>, now: u64) -> u64 {
    [explicit, epoch]
        .into_iter()
        .flatten()
        .find_map(|v| {
            let v = v.trim();
            (!v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()))
                .then(|| v.parse().ok())
                .flatten()
        })
        .unwrap_or(now)
}
