// Ruby's `TSort`, which GitLab uses to order variables and to find `needs` cycles.
/**
 * Strongly connected components of nodes `0..count-1` in the order Ruby's
 * `TSort#each_strongly_connected_component` yields them: roots are tried in index order,
 * children in the order given; a component is yielded when its root finishes, so whatever a
 * node depends on comes first. Iterative, so a long chain cannot overflow the stack.
 */
export function stronglyConnectedComponents(
  count: number,
  children: (node: number) => readonly number[],
): number[][] {
  // id of a node on the stack; null once its component has been yielded; absent if unvisited
  const ids = new Map<number, number | null>();
  let nextId = 0;
  const stack: number[] = [];
  const components: number[][] = [];

  interface Frame {
    node: number;
    id: number;
    minimum: number;
    stackLength: number;
    kids: readonly number[];
    next: number;
  }

  const open = (node: number): Frame => {
    const id = nextId++;
    ids.set(node, id);
    const frame = {
      node,
      id,
      minimum: id,
      stackLength: stack.length,
      kids: children(node),
      next: 0,
    };
    stack.push(node);
    return frame;
  };

  for (let root = 0; root < count; root++) {
    if (ids.has(root)) continue;
    const frames: Frame[] = [open(root)];
    while (frames.length > 0) {
      const frame = frames.at(-1)!;
      if (frame.next < frame.kids.length) {
        const child = frame.kids[frame.next++]!;
        if (!ids.has(child)) {
          frames.push(open(child));
          continue;
        }
        const childId = ids.get(child);
        if (childId != null && childId < frame.minimum) frame.minimum = childId;
        continue;
      }
      frames.pop();
      if (frame.id === frame.minimum) {
        const component = stack.splice(frame.stackLength);
        for (const member of component) ids.set(member, null);
        components.push(component);
      }
      const parent = frames.at(-1);
      if (parent && frame.minimum < parent.minimum) parent.minimum = frame.minimum;
    }
  }
  return components;
}
