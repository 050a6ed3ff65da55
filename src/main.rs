fn main() {
    println!("dockcfg: under construction");
}
