//! Content reload without a restart.
//!
//! The service runs the content held in one [`Live`] cell. A reload
//! ([`Sources::reload`]) reads the same sources as at start (the embedded
//! content and the configured or `--intents` directories), validates and
//! compiles them exactly as `llo-intake check` does ([`crate::content::load`]
//! with every layer's message keys), and only then swaps the whole
//! [`Knowledge`] in one step. On any error the old content stays and the
//! problems (each naming its file and key) are returned.
//!
//! A turn takes one snapshot ([`Live::get`]) and uses it to the end, so a
//! reload never mixes two versions of the content within a turn.
//!
//! Conversations in progress continue. When a reload removes the step a
//! conversation waits on, the old script says where it would have gone:
//! the first step reachable from the removed one (by `next`, `on_yes`,
//! `on_no`, then its branches) that the new content still has. The service
//! moves the conversation on to that step at its next turn and logs it
//! ([`Snapshot::moved_to`]).

use crate::content::{ContentError, Problem};
use crate::domain::knowledge::Knowledge;
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::path::PathBuf;
use std::sync::{Arc, RwLock};

/// The content the service runs, swapped whole by a reload. Clones share
/// the cell.
#[derive(Clone, Debug)]
pub struct Live(Arc<RwLock<Arc<Snapshot>>>);

/// The content at one moment, and where conversations on removed steps go.
#[derive(Debug)]
pub struct Snapshot {
    pub knowledge: Arc<Knowledge>,
    /// Steps removed by reloads -> where their conversations go on.
    moved: BTreeMap<String, String>,
}

impl Snapshot {
    /// Where a conversation waiting on `step` goes on, when a reload removed
    /// that step; `None` when the step exists (or nothing is known).
    pub fn moved_to(&self, step: &str) -> Option<&str> {
        if self.knowledge.content.step(step).is_some() {
            return None;
        }
        self.moved.get(step).map(String::as_str)
    }
}

impl Live {
    pub fn new(knowledge: Arc<Knowledge>) -> Live {
        Live(Arc::new(RwLock::new(Arc::new(Snapshot {
            knowledge,
            moved: BTreeMap::new(),
        }))))
    }

    /// The content now, with the moves (one snapshot: hold it for a whole turn).
    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.0.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// The content now.
    pub fn get(&self) -> Arc<Knowledge> {
        self.snapshot().knowledge.clone()
    }

    /// Compiles the content in use afresh and puts that in its place, unless
    /// a reload replaced the content meanwhile (then `Ok(false)`, nothing
    /// changed). Same content, same moves; what the old compilation built up
    /// while matching (its regexes' caches, one per thread that used them)
    /// is freed once the turns holding it end: an idle bot's way to give
    /// that memory back. The fresh content is warmed ([`Knowledge::warm`])
    /// first, so the next turns do not compile it.
    pub fn recompile(&self) -> Result<bool, ContentError> {
        let old = self.snapshot();
        let fresh = Knowledge::compile(old.knowledge.content.clone())?;
        fresh.warm();
        let mut cell = self.0.write().unwrap_or_else(|e| e.into_inner());
        if !Arc::ptr_eq(&cell, &old) {
            return Ok(false);
        }
        *cell = Arc::new(Snapshot {
            knowledge: Arc::new(fresh),
            moved: old.moved.clone(),
        });
        Ok(true)
    }

    /// Replaces the content; returns the ids of the steps it removed.
    pub fn swap(&self, knowledge: Knowledge) -> Vec<String> {
        let mut cell = self.0.write().unwrap_or_else(|e| e.into_inner());
        let old = cell.clone();
        let (moved, removed) = moves(&old.knowledge, &knowledge, &old.moved);
        *cell = Arc::new(Snapshot {
            knowledge: Arc::new(knowledge),
            moved,
        });
        removed
    }
}

/// The removed steps of `old` and where each leads in `new`, merged with
/// the earlier moves (whose targets may have gone in turn).
fn moves(
    old: &Knowledge,
    new: &Knowledge,
    earlier: &BTreeMap<String, String>,
) -> (BTreeMap<String, String>, Vec<String>) {
    let exists = |id: &str| new.content.step(id).is_some();
    let mut removed = Vec::new();
    let mut moved = BTreeMap::new();
    for s in &old.content.steps {
        if exists(&s.id) {
            continue;
        }
        removed.push(s.id.clone());
        if let Some(to) = successor(old, &s.id, &exists) {
            moved.insert(s.id.clone(), to);
        }
    }
    for (from, to) in earlier {
        if exists(from) || moved.contains_key(from) {
            continue;
        }
        let to = if exists(to) {
            Some(to.clone())
        } else {
            moved.get(to).cloned()
        };
        if let Some(to) = to {
            moved.insert(from.clone(), to);
        }
    }
    (moved, removed)
}

/// The first step after `from` in `old`'s script (breadth first: `next`,
/// `on_yes`, `on_no`, then branches) for which `exists` holds.
fn successor(old: &Knowledge, from: &str, exists: &dyn Fn(&str) -> bool) -> Option<String> {
    let mut seen = BTreeSet::from([from.to_string()]);
    let mut queue = VecDeque::from([from.to_string()]);
    while let Some(id) = queue.pop_front() {
        let Some(step) = old.content.step(&id) else {
            continue;
        };
        let after = [&step.next, &step.on_yes, &step.on_no]
            .into_iter()
            .flatten()
            .chain(step.branches.values());
        for n in after {
            if exists(n) {
                return Some(n.clone());
            }
            if seen.insert(n.clone()) {
                queue.push_back(n.clone());
            }
        }
    }
    None
}

/// Where the content comes from: the same list as at start, and the message
/// keys every running layer says (what `check` requires).
#[derive(Debug, Clone)]
pub struct Sources {
    pub dirs: Vec<PathBuf>,
    pub messages: Vec<&'static str>,
}

/// A reload that took effect.
#[derive(Debug, Clone)]
pub struct Reloaded {
    /// Warnings of the new content (as `check` prints them).
    pub warnings: Vec<Problem>,
    /// Steps that are gone; their conversations move on at their next turn.
    pub removed_steps: Vec<String>,
    /// Counts, for the operator: concerns, steps, routes, contacts.
    pub concerns: usize,
    pub steps: usize,
    pub routes: usize,
    pub contacts: usize,
}

impl Sources {
    /// Reads, validates and compiles the content as `check` does, and swaps
    /// it into `live` only when it has no errors. On an error the old
    /// content stays; the error lists every problem with file and key.
    pub fn reload(&self, live: &Live) -> Result<Reloaded, ContentError> {
        let (k, warnings) = Knowledge::load_requiring(&self.dirs, &self.messages)?;
        let c = &k.content;
        let (concerns, steps, routes, contacts) = (
            c.concerns.len(),
            c.steps.len(),
            c.routes.len(),
            c.contacts.len(),
        );
        k.warm();
        let removed_steps = live.swap(k);
        tracing::info!(
            concerns,
            steps,
            routes,
            contacts,
            warnings = warnings.len(),
            removed_steps = ?removed_steps,
            "content reloaded"
        );
        Ok(Reloaded {
            warnings,
            removed_steps,
            concerns,
            steps,
            routes,
            contacts,
        })
    }
}
