//! The shape of a stage graph, shared by the editor and the execution view: the column each
//! stage sits in (its depth along `requisiteStageRefIds`), which stages a stage may depend on
//! without closing a circle, and the refId a new stage gets.
//!
//! A graph is given as `(refId, requisiteStageRefIds)` per stage, in the pipeline's order; a
//! requisite that names no stage is ignored here (validation reports it).

/// One stage as the graph sees it.
pub type Node<'a> = (&'a str, &'a [String]);

/// The nodes of anything with a refId and requisites.
pub fn nodes<'a, T>(items: &'a [T], of: impl Fn(&'a T) -> Node<'a>) -> Vec<Node<'a>> {
    items.iter().map(of).collect()
}

/// The indexes of the stages each requisite of `nodes[i]` names.
fn requisites(nodes: &[Node<'_>], i: usize) -> Vec<usize> {
    nodes[i]
        .1
        .iter()
        .filter_map(|r| nodes.iter().position(|(id, _)| *id == r.as_str()))
        .filter(|&j| j != i)
        .collect()
}

/// The stages by column: a stage with no requisites is in column 0, any other one column
/// after its deepest requisite. Within a column, stages keep the pipeline's order. A circle
/// (which validation refuses) is cut where it closes, so every stage has a column.
pub fn columns(nodes: &[Node<'_>]) -> Vec<Vec<usize>> {
    let index: std::collections::HashMap<&str, usize> = nodes
        .iter()
        .enumerate()
        .rev()
        .map(|(i, (id, _))| (*id, i))
        .collect();
    let requisites = |i: usize| -> Vec<usize> {
        nodes[i]
            .1
            .iter()
            .filter_map(|r| index.get(r.as_str()).copied())
            .filter(|&j| j != i)
            .collect()
    };
    // Depth-first with an explicit stack, so a long chain cannot overflow the call stack:
    // a stage's depth is known once all its requisites' are.
    let mut depth: Vec<Option<usize>> = vec![None; nodes.len()];
    let mut open = vec![false; nodes.len()];
    for root in 0..nodes.len() {
        if depth[root].is_some() {
            continue;
        }
        open[root] = true;
        let mut stack: Vec<(usize, Vec<usize>, usize)> = vec![(root, requisites(root), 0)];
        while let Some((i, next, followed)) = stack.last_mut() {
            if let Some(&j) = next.get(*followed) {
                *followed += 1;
                if depth[j].is_none() && !open[j] {
                    open[j] = true;
                    stack.push((j, requisites(j), 0));
                }
                continue;
            }
            // Requisites still open close a circle, which is cut here.
            let deepest = next.iter().filter_map(|&j| depth[j]).max();
            depth[*i] = Some(deepest.map_or(0, |m| m + 1));
            open[*i] = false;
            stack.pop();
        }
    }
    let depths: Vec<usize> = depth.into_iter().map(|d| d.unwrap_or(0)).collect();
    let count = depths.iter().max().map_or(0, |d| d + 1);
    let mut columns = vec![Vec::new(); count];
    for (i, d) in depths.into_iter().enumerate() {
        columns[d].push(i);
    }
    columns
}

/// The stages in graph order, as they read left to right: by column, and within a column in
/// the pipeline's order. Every stage comes after the stages it depends on.
pub fn order(nodes: &[Node<'_>]) -> Vec<usize> {
    columns(nodes).into_iter().flatten().collect()
}

/// Whether `from` depends on `on`, directly or through other stages.
pub fn depends_on(nodes: &[Node<'_>], from: usize, on: usize) -> bool {
    let mut seen = vec![false; nodes.len()];
    let mut todo = vec![from];
    while let Some(i) = todo.pop() {
        for j in requisites(nodes, i) {
            if j == on {
                return true;
            }
            if !seen[j] {
                seen[j] = true;
                todo.push(j);
            }
        }
    }
    false
}

/// Whether `stage` may depend on `candidate`: not itself, and not a stage that already
/// depends on it (that would close a circle).
pub fn may_depend_on(nodes: &[Node<'_>], stage: usize, candidate: usize) -> bool {
    stage != candidate && !depends_on(nodes, candidate, stage)
}

/// The refId for a new stage: one more than the largest numeric refId (Deck numbers them).
pub fn next_ref_id(nodes: &[Node<'_>]) -> String {
    let largest = nodes
        .iter()
        .filter_map(|(id, _)| id.parse::<u64>().ok())
        .max()
        .unwrap_or(0);
    (largest + 1).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn graph(edges: &[(&'static str, &[&str])]) -> Vec<(String, Vec<String>)> {
        edges
            .iter()
            .map(|(id, reqs)| (id.to_string(), reqs.iter().map(|r| r.to_string()).collect()))
            .collect()
    }

    fn view(g: &[(String, Vec<String>)]) -> Vec<Node<'_>> {
        nodes(g, |(id, reqs)| (id.as_str(), reqs.as_slice()))
    }

    #[test]
    fn a_fork_and_a_join_sit_in_columns_by_depth() {
        // 1 → 2 → 4, 1 → 3 → 4 (listed out of order), 5 alone.
        let g = graph(&[
            ("4", &["2", "3"]),
            ("1", &[]),
            ("2", &["1"]),
            ("3", &["1"]),
            ("5", &[]),
        ]);
        assert_eq!(columns(&view(&g)), vec![vec![1, 4], vec![2, 3], vec![0]]);
        assert_eq!(order(&view(&g)), vec![1, 4, 2, 3, 0]);
    }

    #[test]
    fn a_stage_listed_first_that_depends_on_a_later_one_comes_after_it() {
        // Deploy (listed first) waits for the Manual Judgment added after it.
        let g = graph(&[("1", &["2"]), ("2", &[])]);
        assert_eq!(order(&view(&g)), vec![1, 0]);
    }

    #[test]
    fn the_longest_path_decides_the_column() {
        let g = graph(&[("1", &[]), ("2", &["1"]), ("3", &["1", "2"])]);
        assert_eq!(columns(&view(&g)), vec![vec![0], vec![1], vec![2]]);
    }

    #[test]
    fn a_circle_and_unknown_requisites_still_give_every_stage_a_column() {
        let g = graph(&[("1", &["3"]), ("2", &["1"]), ("3", &["2", "9"])]);
        let cols = columns(&view(&g));
        assert_eq!(cols.iter().map(Vec::len).sum::<usize>(), 3);
    }

    #[test]
    fn choices_that_would_close_a_circle_are_refused() {
        // 1 → 2 → 3; 4 alone.
        let g = graph(&[("1", &[]), ("2", &["1"]), ("3", &["2"]), ("4", &[])]);
        let n = view(&g);
        assert!(depends_on(&n, 2, 0));
        assert!(!depends_on(&n, 0, 2));
        // Stage 1 may not depend on 2 or 3 (they depend on it), nor on itself; 4 is fine.
        let allowed: Vec<bool> = (0..4).map(|c| may_depend_on(&n, 0, c)).collect();
        assert_eq!(allowed, [false, false, false, true]);
        assert!(may_depend_on(&n, 3, 2));
    }

    #[test]
    fn a_new_stage_gets_the_next_number() {
        assert_eq!(next_ref_id(&[]), "1");
        let g = graph(&[("1", &[]), ("7", &[]), ("deploy", &[])]);
        assert_eq!(next_ref_id(&view(&g)), "8");
    }

    #[test]
    fn a_chain_far_longer_than_any_pipeline_is_laid_out_without_recursion() {
        let n = 200_000;
        let g: Vec<(String, Vec<String>)> = (0..n)
            .map(|i| {
                (
                    i.to_string(),
                    if i + 1 < n {
                        vec![(i + 1).to_string()]
                    } else {
                        vec![]
                    },
                )
            })
            .collect();
        let cols = columns(&view(&g));
        assert_eq!(cols.len(), n);
        assert_eq!(cols[0], vec![n - 1]);
    }
}
