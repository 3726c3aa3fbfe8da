export function createAblaufClient() {}
