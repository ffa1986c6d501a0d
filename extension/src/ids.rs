//! Event ids: unique per install without coordination.
//!
//! Each worker start draws a random prefix; a counter follows. A replay after
//! a restart re-sends stored events with their original ids, which is what
//! makes the collector's deduplication (and "exactly once") work.

#[derive(Debug, Clone)]
pub struct IdGen {
    prefix: String,
    next: u64,
}

impl IdGen {
    /// `random` should be at least 6 bytes from a CSPRNG.
    pub fn new(random: &[u8]) -> Self {
        let prefix = random.iter().take(8).map(|b| format!("{b:02x}")).collect();
        IdGen { prefix, next: 0 }
    }

    pub fn next_id(&mut self) -> String {
        self.next += 1;
        format!("x{}-{:x}", self.prefix, self.next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_prefixed() {
        let mut a = IdGen::new(&[1, 2, 3, 4, 5, 6, 7, 8, 9]);
        let mut b = IdGen::new(&[9, 8, 7, 6, 5, 4, 3, 2]);
        let ids: std::collections::HashSet<_> =
            (0..100).flat_map(|_| [a.next_id(), b.next_id()]).collect();
        assert_eq!(ids.len(), 200);
        assert_eq!(a.next_id(), "x0102030405060708-65");
    }
}
