/**
 * The top level of the library's subject taxonomy.
 *
 * Eight categories that a general knowledge library can assign without
 * hesitation most of the time. Computing is split in two because a library
 * fed with technical documentation (READMEs, API docs) would otherwise put
 * most of its holdings in one bucket: "computer-science" is the science
 * (algorithms, theory, machine learning research), "software-engineering"
 * the craft (libraries, tools, APIs, operations). See docs/classification.md.
 *
 * Ids are stable identifiers stored with predictions: rename labels freely,
 * never ids.
 */
export const TAXONOMY = [
  {
    id: "computer-science",
    label: "Computer Science",
    description: "Algorithms, complexity, programming-language theory, machine learning and AI research, systems research.",
  },
  {
    id: "software-engineering",
    label: "Software Engineering",
    description: "Building and running software: libraries, frameworks, APIs, tooling, testing, deployment and operations.",
  },
  {
    id: "mathematics",
    label: "Mathematics & Statistics",
    description: "Pure and applied mathematics, probability and statistics.",
  },
  {
    id: "physical-sciences",
    label: "Physical Sciences",
    description: "Physics, chemistry, astronomy and the earth and climate sciences.",
  },
  {
    id: "life-sciences",
    label: "Life Sciences & Medicine",
    description: "Biology, ecology, genetics, neuroscience, medicine and public health.",
  },
  {
    id: "economics-business",
    label: "Economics & Business",
    description: "Economics, finance, markets, management and entrepreneurship.",
  },
  {
    id: "history-society",
    label: "History & Society",
    description: "History, politics, law, sociology, geography and education.",
  },
  {
    id: "arts-humanities",
    label: "Arts & Humanities",
    description: "Literature, philosophy, religion, languages, music, visual and performing arts.",
  },
] as const;

export type CategoryId = (typeof TAXONOMY)[number]["id"];
export type Category = (typeof TAXONOMY)[number];

export const CATEGORY_IDS: readonly CategoryId[] = TAXONOMY.map((c) => c.id);

export function isCategoryId(value: string): value is CategoryId {
  return (CATEGORY_IDS as readonly string[]).includes(value);
}

export function categoryLabel(id: CategoryId): string {
  return TAXONOMY.find((c) => c.id === id)?.label ?? id;
}
