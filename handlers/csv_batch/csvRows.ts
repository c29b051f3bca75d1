import { readFileSync } from "node:fs";

/** One product row of the inventory CSV (header: product_id,name,category,price,stock). */
export interface ProductRow {
  product_id: number;
  name: string;
  category: string;
  price: number;
  stock: number;
}

/** The data rows of a product CSV (the header line skipped, blank lines ignored). */
export function readProductRows(path: string): ProductRow[] {
  const lines = readFileSync(path, "utf8").split(/\r?\n/).filter((line) => line.trim() !== "");
  return lines.slice(1).map((line) => {
    const [id, name, category, price, stock] = line.split(",");
    return { product_id: Number(id), name: name ?? "", category: category ?? "", price: Number(price), stock: Number(stock) };
  });
}
