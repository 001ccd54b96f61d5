//! Group ancestry: authentik's `GroupAncestryNode` closure (multi-parent DAG; a recursive CTE
//! with UNION, so cycles terminate and every group of a cycle is an ancestor of the others).

use super::Id;

/// For each group: itself and every ancestor, sorted.
pub fn ancestor_closure(parents: &[Vec<Id>]) -> Vec<Vec<Id>> {
    let n = parents.len();
    let mut seen = vec![u32::MAX; n];
    let mut out = Vec::with_capacity(n);
    let mut stack = Vec::new();
    for start in 0..n {
        let mut acc = Vec::new();
        stack.clear();
        stack.push(start as Id);
        seen[start] = start as u32;
        while let Some(g) = stack.pop() {
            acc.push(g);
            for &p in &parents[g as usize] {
                if seen[p as usize] != start as u32 {
                    seen[p as usize] = start as u32;
                    stack.push(p);
                }
            }
        }
        acc.sort_unstable();
        out.push(acc);
    }
    out
}

/// All groups of a member of `direct`: the direct groups plus all their ancestors, sorted.
pub fn all_groups(closure: &[Vec<Id>], direct: &[Id]) -> Vec<Id> {
    let mut all: Vec<Id> = direct
        .iter()
        .flat_map(|&g| closure[g as usize].iter().copied())
        .collect();
    all.sort_unstable();
    all.dedup();
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chain_and_cycle() {
        // 0 <- 1 <- 2 ; 3 <-> 4
        let parents = vec![vec![], vec![0], vec![1], vec![4], vec![3]];
        let c = ancestor_closure(&parents);
        assert_eq!(c[2], vec![0, 1, 2]);
        assert_eq!(c[0], vec![0]);
        assert_eq!(c[3], vec![3, 4]);
        assert_eq!(c[4], vec![3, 4]);
        assert_eq!(all_groups(&c, &[2, 3]), vec![0, 1, 2, 3, 4]);
    }
}
