//! Ranking routes and picking contacts for a profile. Pure and deterministic:
//! the same answers give the same recommendations, in the same order.

use crate::content::text::{capitalise, fill, join_list, Lang};
use crate::content::{Route, RouteKind, RouteStatus};
use crate::domain::conversation::Answers;
use crate::domain::knowledge::Knowledge;
use crate::domain::output::{ContactRec, Profile, Recommendations, RouteRec};

/// How many routes to show.
pub const TOP: usize = 3;
/// How many contacts to show.
pub const MAX_CONTACTS: usize = 3;

/// Whether a route may be offered to this profile at all. Ended schemes never are.
pub fn eligible(route: &Route, a: &Answers) -> bool {
    if route.status == RouteStatus::Ended {
        return false;
    }
    let region_ok =
        route.is_national() || a.region.as_ref().is_some_and(|r| route.regions.contains(r));
    let sector_ok =
        route.sectors.is_empty() || a.sector.as_ref().is_some_and(|s| route.sectors.contains(s));
    let size_ok = route.sizes.is_empty() || a.size.as_ref().is_none_or(|s| route.sizes.contains(s));
    region_ok && sector_ok && size_ok
}

/// The score of an eligible route: concern overlap weighs most, then fit.
pub fn score(route: &Route, a: &Answers) -> i32 {
    let overlap = route
        .concerns
        .iter()
        .filter(|c| a.concerns.contains(c))
        .count() as i32;
    let mut s = overlap * 10;
    if !route.sectors.is_empty() {
        s += 3;
    }
    if !route.is_national() {
        s += 2;
    }
    if !route.sizes.is_empty() {
        s += 1;
    }
    if route.status == RouteStatus::Uncertain {
        s -= 2;
    }
    s
}

fn why(k: &Knowledge, route: &Route, a: &Answers, lang: Lang) -> String {
    let c = &k.content;
    let mut parts = Vec::new();
    // In the user's order, not the route's.
    let shared: Vec<String> = a
        .concerns
        .iter()
        .filter(|x| route.concerns.contains(x))
        .filter_map(|x| c.concern(x))
        .map(|x| x.label.get(lang).to_string())
        .collect();
    let and = k.msg("and", lang);
    let concern_part = (!shared.is_empty()).then(|| {
        fill(
            &k.msg("why_concern", lang),
            &[("concerns", &join_list(&shared, &and))],
        )
    });
    if !route.sectors.is_empty() {
        if let Some(s) = a.sector.as_deref().and_then(|s| c.sector(s)) {
            // "Bouw en infra" -> "bouw en infra", but "ICT en software" stays.
            let label = s.label.get(lang);
            let mut chars = label.chars();
            let sector = match (chars.next(), chars.next()) {
                (Some(a), Some(b)) if b.is_lowercase() => {
                    a.to_lowercase().collect::<String>() + &label[a.len_utf8()..]
                }
                _ => label.to_string(),
            };
            parts.push(fill(&k.msg("why_sector", lang), &[("sector", &sector)]));
        }
    }
    if !route.sizes.is_empty() {
        if let Some(s) = a.size.as_deref().and_then(|s| c.size(s)) {
            parts.push(fill(
                &k.msg("why_size", lang),
                &[("size", s.label.get(lang))],
            ));
        }
    }
    if !route.is_national() {
        if let Some(p) = a.region.as_deref().and_then(|r| c.province(r)) {
            parts.push(fill(&k.msg("why_region", lang), &[("region", &p.name)]));
        }
    }
    // "Je noemde X en Y. Bedoeld voor bouw, in Gelderland."
    let fit = (!parts.is_empty()).then(|| format!("{}.", capitalise(&parts.join(", "))));
    let mut line = match (concern_part, fit) {
        (None, None) => k.msg("why_general", lang),
        (Some(c), None) => format!("{}.", capitalise(&c)),
        (None, Some(f)) => f,
        (Some(c), Some(f)) => format!("{}. {f}", capitalise(&c)),
    };
    if route.status == RouteStatus::Uncertain {
        line = format!("{line} {}", k.msg("rec_uncertain", lang));
    }
    line
}

fn rec(k: &Knowledge, r: &Route, a: &Answers, lang: Lang) -> RouteRec {
    RouteRec {
        id: r.id.clone(),
        title: r.title.get(lang).to_string(),
        url: r.url.clone(),
        why: why(k, r, a, lang),
        summary: r.summary.get(lang).to_string(),
        uncertain: r.status == RouteStatus::Uncertain,
    }
}

/// The ranked routes (at most [`TOP`]) for these answers.
pub fn rank<'a>(k: &'a Knowledge, a: &Answers) -> Vec<&'a Route> {
    let shown = contacts(k, a);
    let mut scored: Vec<(i32, usize, &Route)> = k
        .content
        .routes
        .iter()
        .enumerate()
        .filter(|(_, r)| !r.is_peer() && eligible(r, a))
        .filter(|(_, r)| r.concerns.iter().any(|c| a.concerns.contains(c)))
        // Not a desk the contacts below already point to.
        .filter(|(_, r)| r.kind != RouteKind::Desk || !shown.iter().any(|c| c.url == r.url))
        .map(|(i, r)| (score(r, a), i, r))
        .collect();
    scored.sort_by(|x, y| y.0.cmp(&x.0).then(x.1.cmp(&y.1)));
    // At most one desk: the regional contacts below already point to desks,
    // so the other places go to money, funds and networks.
    let mut desk = false;
    scored
        .into_iter()
        .map(|(_, _, r)| r)
        .filter(|r| {
            let second_desk = r.kind == RouteKind::Desk && desk;
            desk |= r.kind == RouteKind::Desk;
            !second_desk
        })
        .take(TOP)
        .collect()
}

/// Contacts for the user's labour-market region and province (sector-specific
/// ones first); national ones where there are none. Once the region is known
/// its own desk replaces the province-wide pointers to every region's desk.
pub fn contacts(k: &Knowledge, a: &Answers) -> Vec<ContactRec> {
    let c = &k.content;
    let sector_ok =
        |s: &Vec<String>| s.is_empty() || a.sector.as_ref().is_some_and(|x| s.contains(x));
    let amr = a.labour_market_region.as_deref();
    let has_desk = amr.is_some_and(|r| {
        c.contacts
            .iter()
            .any(|x| x.labour_market_region.as_deref() == Some(r))
    });
    let mut own: Vec<_> = c
        .contacts
        .iter()
        .filter(|x| {
            let desk = amr.is_some() && x.labour_market_region.as_deref() == amr;
            let province = a.region.as_ref().is_some_and(|r| x.regions.contains(r))
                && !(has_desk && x.province_fallback);
            (desk || province) && sector_ok(&x.sectors)
        })
        .collect();
    // A later content directory (a deployment's own coaches) comes first,
    // then sector-specific contacts, then the rest in file order.
    let mut dirs: Vec<&std::path::Path> = Vec::new();
    for x in &c.contacts {
        if let Some(d) = c.origin("contact", &x.id).parent() {
            if !dirs.contains(&d) {
                dirs.push(d);
            }
        }
    }
    let rank = |id: &str| {
        let d = c.origin("contact", id).parent();
        std::cmp::Reverse(dirs.iter().position(|x| Some(*x) == d))
    };
    own.sort_by_key(|x| {
        (
            rank(&x.id),
            x.sectors.is_empty(),
            x.labour_market_region.is_none(),
        )
    });
    if own.is_empty() {
        own = c
            .contacts
            .iter()
            .filter(|x| x.is_national() && sector_ok(&x.sectors))
            .collect();
    }
    own.into_iter()
        .take(MAX_CONTACTS)
        .map(|x| ContactRec {
            id: x.id.clone(),
            name: x.name.clone(),
            url: x.url.clone(),
            region: if x.is_national() {
                "national".to_string()
            } else {
                a.region.clone().unwrap_or_default()
            },
            about: x.about.get(Lang::Nl).to_string(),
        })
        .collect()
}

/// Builds the whole recommendation output for these answers.
pub fn recommend(k: &Knowledge, a: &Answers, lang: Lang, step: Option<String>) -> Recommendations {
    let routes: Vec<RouteRec> = rank(k, a).into_iter().map(|r| rec(k, r, a, lang)).collect();
    let mut contacts = contacts(k, a);
    for ct in &mut contacts {
        if let Some(x) = k.content.contact(&ct.id) {
            ct.name = x.name_in(lang).to_string();
            ct.about = x.about.get(lang).to_string();
        }
    }
    let mut peers: Vec<&Route> = k
        .content
        .routes
        .iter()
        .filter(|r| r.is_peer() && eligible(r, a))
        .collect();
    peers.sort_by_key(|r| -score(r, a));
    let peer = peers.first().map(|r| rec(k, r, a, lang));

    let intro = if routes.is_empty() {
        k.msg("rec_none", lang)
    } else {
        k.msg("rec_intro", lang)
    };
    let contacts_intro = k.msg("contacts_intro", lang);
    let peer_intro = k.msg("peer_intro", lang);
    let mut text = intro.clone();
    for (i, r) in routes.iter().enumerate() {
        text.push_str(&format!(
            "\n\n{}. {}\n   {}\n   {}",
            i + 1,
            r.title,
            r.why,
            r.url
        ));
    }
    if !contacts.is_empty() {
        text.push_str(&format!("\n\n{contacts_intro}"));
        for ct in &contacts {
            text.push_str(&format!("\n- {}: {}\n  {}", ct.name, ct.url, ct.about));
        }
    }
    if let Some(p) = &peer {
        text.push_str(&format!("\n\n{peer_intro}\n- {}: {}", p.title, p.url));
    }
    Recommendations {
        step,
        text,
        concerns: a.concerns.clone(),
        profile: Profile {
            sector: a.sector.clone(),
            size: a.size.clone(),
            region: a.region.clone(),
        },
        routes,
        contacts,
        peer,
        intro,
        contacts_intro,
        peer_intro,
    }
}
