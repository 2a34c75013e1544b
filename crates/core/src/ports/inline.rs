//! Running a read on the calling thread when it needs no blocking I/O.
//!
//! A request's authentication is answered from the store's in-process caches nearly
//! always; handing it to a blocking thread anyway costs two thread switches per request.
//! An adapter calls the use case inside [`attempt`]; a store asked for a database
//! connection inside one refuses at once ([`refuse_blocking`]) instead of waiting, and the
//! attempt answers `None`, so the caller runs the same call where blocking is allowed.
//! Only side-effect-free reads belong in an attempt: whatever ran before the refusal ran.

use std::cell::Cell;

thread_local! {
    /// `None` outside an attempt; inside one, whether a blocking call was refused.
    static ATTEMPT: Cell<Option<bool>> = const { Cell::new(None) };
}

/// Restores the enclosing state when an attempt ends, also by a panic.
struct Restore(Option<bool>);

impl Drop for Restore {
    fn drop(&mut self) {
        ATTEMPT.with(|a| a.set(self.0));
    }
}

/// Runs `f` on this thread, refusing blocking I/O inside it: `Some` with its result when
/// it needed none, `None` when it asked for some (its result is then meaningless: run
/// `f` again on a thread that may block).
pub fn attempt<T>(f: impl FnOnce() -> T) -> Option<T> {
    let restore = Restore(ATTEMPT.with(|a| a.replace(Some(false))));
    let out = f();
    let refused = ATTEMPT.with(Cell::get) == Some(true);
    drop(restore);
    (!refused).then_some(out)
}

/// What an adapter asks before blocking I/O: `true` inside an [`attempt`] (which then
/// answers `None`); the adapter must then fail at once without doing the I/O.
pub fn refuse_blocking() -> bool {
    ATTEMPT.with(|a| {
        let inside = a.get().is_some();
        if inside {
            a.set(Some(true));
        }
        inside
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_attempt_that_blocks_answers_none_and_one_that_does_not_answers_its_result() {
        assert_eq!(attempt(|| 7), Some(7));
        assert_eq!(attempt(|| if refuse_blocking() { 0 } else { 1 }), None);
        // Outside an attempt nothing is refused, also after one that was.
        assert!(!refuse_blocking());
    }

    #[test]
    fn nested_attempts_and_panics_restore_the_enclosing_state() {
        let outer = attempt(|| {
            assert_eq!(attempt(|| 1), Some(1));
            refuse_blocking()
        });
        assert_eq!(outer, None);
        let caught = std::panic::catch_unwind(|| {
            attempt(|| -> () { panic!("inside") });
        });
        assert!(caught.is_err());
        assert!(!refuse_blocking(), "a panic inside an attempt left it open");
    }
}
