//! Peer introductions, pure: who may be proposed to whom ([`matches`]) and
//! the life of one proposal ([`Proposal`]): a coach approves or rejects,
//! then both people say yes (an introduction) or one says no, time runs out
//! or someone withdraws (it ends quietly). No I/O; time is passed in.
//!
//! People are named by opaque keys (the store passes keyed hashes), so
//! nothing here holds an identity.

use crate::domain::conversation::CardRef;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// The offer's name (`offers` table, custom ids).
pub const OFFER: &str = "peers";

/// Longest own line in a packet, in characters.
pub const MAX_LINE_CHARS: usize = 200;

/// What one person agreed to share with a match: exactly this, no more.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Packet {
    pub display_name: String,
    pub sector: Option<String>,
    pub size: Option<String>,
    /// Labour-market region code (`AM06`).
    pub labour_market_region: Option<String>,
    /// Province id.
    pub province: Option<String>,
    /// Confirmed concerns (a match sees only the shared one).
    pub concerns: Vec<String>,
    /// One line in their own words, if they gave one.
    #[serde(default)]
    pub line: Option<String>,
}

/// A person in the pool, as the matcher sees them.
#[derive(Debug, Clone, Copy)]
pub struct Candidate<'a> {
    pub key: &'a str,
    pub packet: &'a Packet,
    /// When they joined the pool (who waits longest goes first).
    pub since: DateTime<Utc>,
}

/// What earlier proposals rule out.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct History {
    /// Pairs already introduced, smaller key first.
    pub introduced: BTreeSet<(String, String)>,
    /// (who said no, to whom).
    pub declined: BTreeSet<(String, String)>,
    /// People with an open proposal.
    pub busy: BTreeSet<String>,
}

/// A pair in sorted order.
pub fn pair(a: &str, b: &str) -> (String, String) {
    if a <= b {
        (a.to_string(), b.to_string())
    } else {
        (b.to_string(), a.to_string())
    }
}

impl History {
    /// Whether `a` and `b` may never be proposed to each other.
    pub fn blocked(&self, a: &str, b: &str) -> bool {
        self.introduced.contains(&pair(a, b))
            || self.declined.contains(&(a.to_string(), b.to_string()))
            || self.declined.contains(&(b.to_string(), a.to_string()))
    }
}

/// How near two matched people are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Nearness {
    /// The same labour-market region.
    Region,
    /// Not the same region, but the same province (the proposal says so).
    Province,
}

/// Two people to propose to each other.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Match {
    pub a: String,
    pub b: String,
    /// The concern they share.
    pub concern: String,
    pub nearness: Nearness,
    pub same_sector: bool,
}

fn nearness(a: &Packet, b: &Packet) -> Option<Nearness> {
    let same = |x: &Option<String>, y: &Option<String>| x.is_some() && x == y;
    if same(&a.labour_market_region, &b.labour_market_region) {
        Some(Nearness::Region)
    } else if same(&a.province, &b.province) {
        Some(Nearness::Province)
    } else {
        None
    }
}

/// The match of `a` and `b`, when they may be proposed at all.
fn fit(a: &Candidate, b: &Candidate) -> Option<Match> {
    let concern = a
        .packet
        .concerns
        .iter()
        .find(|c| b.packet.concerns.contains(c))?;
    Some(Match {
        a: a.key.to_string(),
        b: b.key.to_string(),
        concern: concern.clone(),
        nearness: nearness(a.packet, b.packet)?,
        same_sector: a.packet.sector.is_some() && a.packet.sector == b.packet.sector,
    })
}

/// The proposals to make now: each free person (longest waiting first) with
/// the best free partner who shares a confirmed concern in the same
/// labour-market region, else in the same province; the same sector breaks
/// ties, then who waits longest. Never a blocked pair, never anyone busy,
/// everyone at most once.
pub fn matches(pool: &[Candidate], history: &History) -> Vec<Match> {
    let mut order: Vec<&Candidate> = pool.iter().collect();
    order.sort_by(|x, y| (x.since, x.key).cmp(&(y.since, y.key)));
    let mut busy = history.busy.clone();
    let mut out = Vec::new();
    for a in &order {
        if busy.contains(a.key) {
            continue;
        }
        let best = order
            .iter()
            .filter(|b| b.key != a.key && !busy.contains(b.key) && !history.blocked(a.key, b.key))
            .filter_map(|b| fit(a, b).map(|m| (m, b)))
            .min_by(|(m, b), (n, c)| {
                (m.nearness, !m.same_sector, b.since, b.key).cmp(&(
                    n.nearness,
                    !n.same_sector,
                    c.since,
                    c.key,
                ))
            });
        if let Some((m, _)) = best {
            busy.insert(m.a.clone());
            busy.insert(m.b.clone());
            out.push(m);
        }
    }
    out
}

/// Why a proposal ended without an introduction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Ended {
    /// The coach rejected it.
    Rejected,
    /// One of them said no.
    Declined,
    /// Nobody decided in time.
    TimedOut,
    /// One of them left the pool or had their data deleted.
    Withdrawn,
}

/// Where a proposal stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// Waiting for a coach to approve or reject.
    Coach,
    /// Approved; waiting for both people.
    People,
    /// Both said yes: the thread is (being) opened.
    Introduced,
    Ended(Ended),
}

/// A proposal's state change that is not allowed now (a late click).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PeerError {
    #[error("the proposal is not waiting for that")]
    NotNow,
    #[error("that person is not part of the proposal")]
    NotInIt,
}

/// One proposal: two people, what they share, and where it stands. Holds
/// keys only (no names, no words of theirs).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Proposal {
    pub id: String,
    /// The two people's keys.
    pub people: [String; 2],
    pub concern: String,
    pub nearness: Nearness,
    pub same_sector: bool,
    pub stage: Stage,
    pub created_at: DateTime<Utc>,
    #[serde(default)]
    pub approved_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub ended_at: Option<DateTime<Utc>>,
    /// The coach who approved or rejected it.
    #[serde(default)]
    pub coach: Option<String>,
    /// The coach joins the thread.
    #[serde(default)]
    pub coach_joins: bool,
    /// Each person's answer, in the order of `people`.
    #[serde(default)]
    pub answers: [Option<bool>; 2],
    /// The match card in the coach channel.
    #[serde(default)]
    pub card: Option<CardRef>,
    /// The thread the two were introduced in.
    #[serde(default)]
    pub thread: Option<String>,
}

/// What an answer did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answered {
    /// Yes; the other has not answered yet.
    Waiting,
    /// Both said yes: introduce them.
    BothYes,
    /// A no: it ended.
    Ended,
}

impl Proposal {
    pub fn new(id: impl Into<String>, m: &Match, now: DateTime<Utc>) -> Proposal {
        Proposal {
            id: id.into(),
            people: [m.a.clone(), m.b.clone()],
            concern: m.concern.clone(),
            nearness: m.nearness,
            same_sector: m.same_sector,
            stage: Stage::Coach,
            created_at: now,
            approved_at: None,
            ended_at: None,
            coach: None,
            coach_joins: false,
            answers: [None, None],
            card: None,
            thread: None,
        }
    }

    /// Still waiting for a coach or for the people.
    pub fn is_open(&self) -> bool {
        matches!(self.stage, Stage::Coach | Stage::People)
    }

    /// Which side `key` is.
    pub fn side(&self, key: &str) -> Option<usize> {
        self.people.iter().position(|p| p == key)
    }

    /// The other person's key.
    pub fn other(&self, key: &str) -> Option<&str> {
        self.side(key).map(|i| self.people[1 - i].as_str())
    }

    fn end(&mut self, why: Ended, now: DateTime<Utc>) {
        self.stage = Stage::Ended(why);
        self.ended_at = Some(now);
    }

    /// A coach approves (and says whether they join the thread).
    pub fn approve(
        &mut self,
        coach: &str,
        joins: bool,
        now: DateTime<Utc>,
    ) -> Result<(), PeerError> {
        if self.stage != Stage::Coach {
            return Err(PeerError::NotNow);
        }
        self.stage = Stage::People;
        self.approved_at = Some(now);
        self.coach = Some(coach.to_string());
        self.coach_joins = joins;
        Ok(())
    }

    /// A coach rejects.
    pub fn reject(&mut self, coach: &str, now: DateTime<Utc>) -> Result<(), PeerError> {
        if self.stage != Stage::Coach {
            return Err(PeerError::NotNow);
        }
        self.coach = Some(coach.to_string());
        self.end(Ended::Rejected, now);
        Ok(())
    }

    /// `key` answers (once): a no ends it, two yeses introduce them.
    pub fn answer(
        &mut self,
        key: &str,
        yes: bool,
        now: DateTime<Utc>,
    ) -> Result<Answered, PeerError> {
        let i = self.side(key).ok_or(PeerError::NotInIt)?;
        if self.stage != Stage::People || self.answers[i].is_some() {
            return Err(PeerError::NotNow);
        }
        self.answers[i] = Some(yes);
        if !yes {
            self.end(Ended::Declined, now);
            return Ok(Answered::Ended);
        }
        if self.answers[1 - i] == Some(true) {
            self.stage = Stage::Introduced;
            return Ok(Answered::BothYes);
        }
        Ok(Answered::Waiting)
    }

    /// When an open proposal runs out: `timeout` after it was made (waiting
    /// for a coach) or approved (waiting for the people).
    pub fn deadline(&self, timeout: Duration) -> Option<DateTime<Utc>> {
        self.is_open()
            .then(|| self.approved_at.unwrap_or(self.created_at) + timeout)
    }

    /// Ends it when its deadline has passed; returns whether it did.
    pub fn expire(&mut self, now: DateTime<Utc>, timeout: Duration) -> bool {
        match self.deadline(timeout) {
            Some(d) if d <= now => {
                self.end(Ended::TimedOut, now);
                true
            }
            _ => false,
        }
    }

    /// `key` left the pool (or was forgotten): an open proposal ends.
    pub fn withdraw(&mut self, key: &str, now: DateTime<Utc>) -> bool {
        if self.side(key).is_none() || !self.is_open() {
            return false;
        }
        self.end(Ended::Withdrawn, now);
        true
    }

    /// Who declined whom, once it ended with a no.
    pub fn declined(&self) -> Option<(String, String)> {
        if self.stage != Stage::Ended(Ended::Declined) {
            return None;
        }
        let i = self.answers.iter().position(|a| *a == Some(false))?;
        Some((self.people[i].clone(), self.people[1 - i].clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(h: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap() + Duration::hours(h)
    }

    fn packet(concerns: &[&str], region: &str, province: &str, sector: &str) -> Packet {
        Packet {
            display_name: "x".into(),
            sector: Some(sector.into()),
            size: Some("1-9".into()),
            labour_market_region: (!region.is_empty()).then(|| region.to_string()),
            province: Some(province.into()),
            concerns: concerns.iter().map(|c| c.to_string()).collect(),
            line: None,
        }
    }

    fn pool<'a>(people: &'a [(&'a str, Packet)]) -> Vec<Candidate<'a>> {
        people
            .iter()
            .enumerate()
            .map(|(i, (k, p))| Candidate {
                key: k,
                packet: p,
                since: t(i as i64),
            })
            .collect()
    }

    #[test]
    fn the_same_concern_in_the_same_region_is_a_match() {
        let people = [
            ("a", packet(&["recruitment"], "AM06", "gelderland", "bouw")),
            (
                "b",
                packet(&["retention", "recruitment"], "AM06", "gelderland", "zorg"),
            ),
        ];
        let m = matches(&pool(&people), &History::default());
        assert_eq!(
            m,
            vec![Match {
                a: "a".into(),
                b: "b".into(),
                concern: "recruitment".into(),
                nearness: Nearness::Region,
                same_sector: false,
            }]
        );
    }

    #[test]
    fn without_a_shared_concern_or_place_there_is_no_match() {
        let people = [
            ("a", packet(&["recruitment"], "AM06", "gelderland", "bouw")),
            ("b", packet(&["retention"], "AM06", "gelderland", "bouw")),
            ("c", packet(&["recruitment"], "AM01", "groningen", "bouw")),
        ];
        assert!(matches(&pool(&people), &History::default()).is_empty());
    }

    #[test]
    fn the_region_beats_the_province_and_the_province_is_said() {
        let people = [
            ("a", packet(&["recruitment"], "AM06", "gelderland", "bouw")),
            ("b", packet(&["recruitment"], "AM07", "gelderland", "bouw")),
            ("c", packet(&["recruitment"], "AM06", "gelderland", "zorg")),
        ];
        let m = matches(&pool(&people), &History::default());
        assert_eq!(m.len(), 1);
        assert_eq!((m[0].b.as_str(), m[0].nearness), ("c", Nearness::Region));
        // Alone with b, a is matched in the province, and the match says so.
        let m = matches(&pool(&people[..2]), &History::default());
        assert_eq!(m[0].nearness, Nearness::Province);
    }

    #[test]
    fn the_sector_breaks_a_tie_then_who_waits_longest() {
        let people = [
            ("a", packet(&["recruitment"], "AM06", "gelderland", "bouw")),
            ("b", packet(&["recruitment"], "AM06", "gelderland", "zorg")),
            ("c", packet(&["recruitment"], "AM06", "gelderland", "bouw")),
            ("d", packet(&["recruitment"], "AM06", "gelderland", "zorg")),
        ];
        let m = matches(&pool(&people), &History::default());
        let pairs: Vec<(&str, &str)> = m.iter().map(|m| (m.a.as_str(), m.b.as_str())).collect();
        assert_eq!(pairs, vec![("a", "c"), ("b", "d")]);
        assert!(m.iter().all(|m| m.same_sector));
    }

    #[test]
    fn introduced_declined_and_busy_people_are_not_proposed() {
        let people = [
            ("a", packet(&["recruitment"], "AM06", "gelderland", "bouw")),
            ("b", packet(&["recruitment"], "AM06", "gelderland", "bouw")),
            ("c", packet(&["recruitment"], "AM06", "gelderland", "bouw")),
        ];
        let mut h = History::default();
        h.introduced.insert(pair("b", "a"));
        h.declined.insert(("c".into(), "a".into()));
        let m = matches(&pool(&people), &h);
        assert_eq!((m[0].a.as_str(), m[0].b.as_str()), ("b", "c"));
        h.busy.insert("c".into());
        assert!(matches(&pool(&people), &h).is_empty());
    }

    #[test]
    fn everyone_is_in_at_most_one_proposal() {
        let people: Vec<(String, Packet)> = (0..7)
            .map(|i| {
                (
                    format!("p{i}"),
                    packet(&["recruitment"], "AM06", "gelderland", "bouw"),
                )
            })
            .collect();
        let refs: Vec<(&str, Packet)> = people
            .iter()
            .map(|(k, p)| (k.as_str(), p.clone()))
            .collect();
        let m = matches(&pool(&refs), &History::default());
        assert_eq!(m.len(), 3);
        let mut seen = BTreeSet::new();
        for x in &m {
            assert!(seen.insert(x.a.clone()) && seen.insert(x.b.clone()));
        }
    }

    fn proposal() -> Proposal {
        let m = Match {
            a: "a".into(),
            b: "b".into(),
            concern: "recruitment".into(),
            nearness: Nearness::Region,
            same_sector: true,
        };
        Proposal::new("p1", &m, t(0))
    }

    #[test]
    fn approved_and_two_yeses_introduce_them() {
        let mut p = proposal();
        assert_eq!(p.answer("a", true, t(1)), Err(PeerError::NotNow));
        p.approve("coach", true, t(1)).unwrap();
        assert_eq!(p.approve("coach", true, t(1)), Err(PeerError::NotNow));
        assert_eq!(p.answer("a", true, t(2)), Ok(Answered::Waiting));
        assert_eq!(p.answer("a", false, t(2)), Err(PeerError::NotNow));
        assert_eq!(p.answer("x", true, t(2)), Err(PeerError::NotInIt));
        assert_eq!(p.answer("b", true, t(3)), Ok(Answered::BothYes));
        assert_eq!(p.stage, Stage::Introduced);
        assert!(!p.is_open());
    }

    #[test]
    fn a_no_a_rejection_a_timeout_and_a_withdrawal_end_it() {
        let mut p = proposal();
        p.reject("coach", t(1)).unwrap();
        assert_eq!(p.stage, Stage::Ended(Ended::Rejected));

        let mut p = proposal();
        p.approve("coach", false, t(1)).unwrap();
        p.answer("a", true, t(2)).unwrap();
        assert_eq!(p.answer("b", false, t(2)), Ok(Answered::Ended));
        assert_eq!(p.declined(), Some(("b".into(), "a".into())));

        let mut p = proposal();
        p.approve("coach", false, t(1)).unwrap();
        assert!(!p.expire(t(1) + Duration::hours(71), Duration::hours(72)));
        assert!(p.expire(t(1) + Duration::hours(72), Duration::hours(72)));
        assert_eq!(p.stage, Stage::Ended(Ended::TimedOut));
        assert!(!p.withdraw("a", t(80)), "an ended proposal stays ended");

        let mut p = proposal();
        assert!(p.withdraw("b", t(1)));
        assert_eq!(p.stage, Stage::Ended(Ended::Withdrawn));
    }
}
