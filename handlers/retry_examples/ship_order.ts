/** Never runs in `permanent_failure`: its dependency fails permanently. */
export default function ship_order() {
  return { shipped: true };
}
