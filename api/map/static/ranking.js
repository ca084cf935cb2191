/* aralrisk map: the district ranking, ordered by risk, by hazard level or by people exposed.
 *
 * The order is a control above the table (the current one pressed, and named in a line
 * under it). Districts without a value for the chosen order (no risk: a dimension has
 * no data) are not ranked: they come last with "—".
 */
(function (AR) {
  'use strict';

  const DASH = '—';

  /** The orders of the ranking, in the page's language. */
  AR.orders = function () {
    return [
      {id: 'risk', label: AR.t('Risk'), column: 2, caption: AR.t('Ordered by INFORM risk, highest first.')},
      {id: 'hazard', label: AR.t('Hazard level'), column: 4, caption: AR.t('Ordered by hazard level (the highest of any hazard), then by the composite hazard score.')},
      {id: 'exposed', label: AR.t('People exposed'), column: 5, caption: AR.t('Ordered by the people exposed to at least one hazard.')},
    ];
  };

  function present(value) {
    return value !== null && value !== undefined && !Number.isNaN(value);
  }

  /** Competition ranks ("1224") of items already sorted, equal when same(a, b). */
  function competition(items, same) {
    const ranks = [];
    items.forEach(function (item, i) {
      ranks.push(i > 0 && same(items[i - 1], item) ? ranks[i - 1] : i + 1);
    });
    return ranks;
  }

  /** Features as [{p, rank}] in the chosen order; unranked (rank null) last, table order. */
  AR.orderDistricts = function (features, order) {
    const props = features.map(function (f) { return f.properties; });
    let ranked, unranked;
    if (order === 'hazard') {
      const has = function (p) { return present(p.hazard) || p.hazard_level >= 0; };
      ranked = props.filter(has);
      unranked = props.filter(function (p) { return !has(p); });
      const level = function (p) { return present(p.hazard_level) ? p.hazard_level : -1; };
      const score = function (p) { return present(p.hazard) ? p.hazard : -Infinity; };
      ranked.sort(function (a, b) { return level(b) - level(a) || score(b) - score(a); });
      const ranks = competition(ranked, function (a, b) { return level(a) === level(b) && score(a) === score(b); });
      return ranked.map(function (p, i) { return {p: p, rank: ranks[i]}; })
        .concat(unranked.map(function (p) { return {p: p, rank: null}; }));
    }
    const key = order === 'exposed' ? 'rank_exposed' : 'rank';
    ranked = props.filter(function (p) { return present(p[key]); });
    unranked = props.filter(function (p) { return !present(p[key]); });
    ranked.sort(function (a, b) { return a[key] - b[key]; });  // stable: ties keep table order
    return ranked.map(function (p) { return {p: p, rank: p[key]}; })
      .concat(unranked.map(function (p) { return {p: p, rank: null}; }));
  };

  AR.Ranking = class {
    constructor(panel, cfg, classColor, onPick) {
      this.panel = panel;
      this.cfg = cfg;
      this.classColor = classColor;
      this.onPick = onPick;
      this.order = 'risk';
      this.collection = null;
      const self = this;
      this.orders = AR.orders();
      this.buttons = this.orders.map(function (o) {
        const button = AR.el('button', {type: 'button', className: 'ar-order-button', 'data-order': o.id, textContent: o.label});
        button.addEventListener('click', function () { self.setOrder(o.id); if (self.onOrder) self.onOrder(o.id); });
        return button;
      });
      panel.order.replaceChildren(
        AR.el('span', {className: 'ar-order-label', textContent: AR.t('Order by')}),
        AR.el('div', {className: 'ar-order-buttons', role: 'group', 'aria-label': AR.t('Order the districts by')}, this.buttons),
      );
      this.pressButtons();
    }

    pressButtons() {
      const order = this.order;
      this.buttons.forEach(function (b) { b.setAttribute('aria-pressed', String(b.dataset.order === order)); });
    }

    setOrder(order) {
      this.order = order;
      this.pressButtons();
      if (this.collection) this.render(this.collection);
    }

    row(item) {
      const p = item.p;
      const cfg = this.cfg;
      const titles = {};
      cfg.hazards.forEach(function (h) { titles[h.id] = h.title; });
      const which = (p.hazard_level_hazards || []).map(function (id) { return titles[id] || id; }).join(', ');
      const chip = AR.levelChip(p.hazard_level, cfg.level_labels);
      const self = this;
      const name = AR.districtName(p);
      const tr = AR.el('tr', {'data-code': p.code, tabindex: '0', title: AR.t('Show {district} on the map', {district: name})}, [
        AR.el('td', {className: 'ar-num', textContent: item.rank === null ? DASH : String(item.rank)}),
        AR.el('td', {textContent: name}),
        AR.el('td', {className: 'ar-num', textContent: AR.score(p.risk)}),
        AR.el('td', {className: 'ar-class'}, [AR.swatch(this.classColor[p.risk_class] || AR.NO_DATA_COLOR), AR.el('span', {className: 'ar-class-name', textContent: AR.t(p.risk_class)})]),
        AR.el('td', {title: which ? chip.textContent + ': ' + which : ''}, [chip]),
        AR.el('td', {className: 'ar-num', textContent: AR.people(p.people_exposed)}),
      ]);
      function show() { self.onPick(p.code); }
      tr.addEventListener('click', show);
      // Enter and Space, as on a button (Space would otherwise scroll the panel).
      tr.addEventListener('keydown', function (e) {
        if (e.key === 'Enter' || e.key === ' ' || e.key === 'Spacebar') { e.preventDefault(); show(); }
      });
      return tr;
    }

    render(collection) {
      this.collection = collection;
      const order = this.orders.find((o) => o.id === this.order);
      const self = this;
      const body = AR.el('tbody', {}, AR.orderDistricts(collection.features, this.order).map(function (item) {
        return self.row(item);
      }));
      const heads = ['#', AR.t('District'), AR.t('Risk'), AR.t('Class'), AR.t('Hazard level'), AR.t('People exposed')].map(function (h, i) {
        const sorted = i === order.column;
        // The class column's heading hides with its names on a phone (a chip needs none).
        return AR.el('th', {scope: 'col', textContent: i === 3 ? null : h,
          className: (sorted ? 'ar-sorted ' : '') + (i === 2 || i === 5 ? 'ar-num' : ''),
          'aria-sort': sorted ? 'descending' : null}, i === 3 ? [AR.el('span', {className: 'ar-class-name', textContent: h})] : []);
      });
      const table = AR.el('table', {className: 'ar-ranking', 'data-profile': collection.profile,
        'data-method': collection.method, 'data-order': this.order}, [
        AR.el('caption', {textContent: AR.t('Districts ranked: {order}', {order: order.label})}),
        AR.el('thead', {}, [AR.el('tr', {}, heads)]),
        body,
      ]);
      this.panel.orderNote.textContent = order.caption + ' ' + AR.t('Districts without a value are not ranked ({dash}).', {dash: DASH});
      this.panel.ranking.replaceChildren(table);
    }
  };
})(window.aralrisk = window.aralrisk || {});
