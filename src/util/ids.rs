//! Random (version 4) UUIDs without a system call each: a run makes thousands (one per
//! user the simulations create and per `{{uuid}}`), and `Uuid::new_v4` asks the
//! operating system for 16 bytes every time.

use std::cell::Cell;

/// A version 4 UUID. Each thread seeds two SplitMix64 streams once from the operating
/// system; each stream is a bijection of its counter, so a thread never repeats a UUID,
/// and threads and processes differ by their 128 random seed bits. Not for secrets: the
/// ids name test users, they do not guard anything.
pub fn uuid_v4() -> uuid::Uuid {
    thread_local! {
        static STATE: Cell<(u64, u64)> = Cell::new(seed());
    }
    let (high, low) = STATE.with(|state| {
        let (a, b) = state.get();
        let (a, b) = (a.wrapping_add(GOLDEN), b.wrapping_add(GOLDEN));
        state.set((a, b));
        (mix(a), mix(b))
    });
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&high.to_le_bytes());
    bytes[8..].copy_from_slice(&low.to_le_bytes());
    uuid::Builder::from_random_bytes(bytes).into_uuid()
}

/// SplitMix64's increment (2^64 / phi, odd: the counter visits every value).
const GOLDEN: u64 = 0x9E37_79B9_7F4A_7C15;

/// SplitMix64's output function, a bijection on u64.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// 128 bits from the operating system, through the one source uuid already uses.
fn seed() -> (u64, u64) {
    let value = uuid::Uuid::new_v4().as_u128();
    ((value >> 64) as u64, value as u64)
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn uuids_are_version_4_and_do_not_repeat() {
        let mut seen = HashSet::new();
        for _ in 0..100_000 {
            let id = uuid_v4();
            assert_eq!(id.get_version_num(), 4);
            assert_eq!(id.get_variant(), uuid::Variant::RFC4122);
            assert!(seen.insert(id));
        }
        let other = std::thread::spawn(uuid_v4).join().expect("thread ran");
        assert!(!seen.contains(&other));
    }

    #[test]
    fn the_output_spreads_one_counter_step_over_every_byte() {
        // Consecutive ids differ in most bits, not only the last few.
        let (a, b) = (uuid_v4().as_u128(), uuid_v4().as_u128());
        assert!((a ^ b).count_ones() > 32, "{a:x} {b:x}");
    }
}
