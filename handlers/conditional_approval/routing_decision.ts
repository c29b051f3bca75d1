import { routeByAmount } from "./routing.ts";

export default routeByAmount({ auto: "auto_approve", manager: "manager_approval", finance: "finance_review" });
